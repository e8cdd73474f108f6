package audience.bookings;

import audience.ingestion.SnsNotifications;
import software.amazon.awssdk.services.sns.SnsAsyncClient;

import java.time.LocalDate;
import java.util.concurrent.CompletionStage;

/**
 * A booking's final transition on the notifications topic: {"type": "BookingUploaded" | "BookingFailed", "event":
 * {...}}, the booking id in the subject. Counts and ids only, no member data. {@code notificationId}
 * ({@code <bookingId>:<status>}) is the same however often the outbox sends it: subscribers keep the first.
 */
public record SnsBookingNotifier(SnsAsyncClient sns, String topicArn) implements SegmentBooking.BookingNotifier {
  /** The notification's body. */
  public record BookingNotification(String notificationId, String bookingId, String segmentId, String campaign,
                                    LocalDate sendDate, String status, long members, long imported, long rejected,
                                    int attempts, String error) {}

  @Override
  public CompletionStage<String> notify(Booking b) {
    boolean uploaded = b.status() == Booking.Status.UPLOADED;
    BookingNotification n = new BookingNotification(b.bookingId() + ":" + b.status().wire(), b.bookingId(),
        b.segmentId(), b.campaign(), b.sendDate(), b.status().wire(), b.audience() == null ? 0 : b.audience().members(),
        b.upload() == null ? 0 : b.upload().imported(), b.upload() == null ? 0 : b.upload().rejected(), b.attempts(),
        uploaded ? "" : b.failure());
    return SnsNotifications.publish(sns, topicArn, uploaded ? "BookingUploaded" : "BookingFailed", n,
        "booking " + b.status().wire() + ": " + b.bookingId());
  }
}
