package audience.bookings;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Optional;

/** The booking rules as pure functions: what may be booked or cancelled, and booking ids. */
public final class BookingRules {
  private static final int ID_HEX_CHARS = 20;

  private BookingRules() {}

  /**
   * Why {@code sendDate} cannot be booked for the segment (empty when it can): a date before {@code today}, or one a
   * live booking of the segment already holds (a cancelled or failed booking frees its date).
   */
  public static Optional<String> refuseBooking(Collection<Booking> bookings, LocalDate sendDate, LocalDate today) {
    if (sendDate.isBefore(today)) {
      return Optional.of("the send date " + sendDate + " is in the past (today is " + today + ")");
    }
    return bookings.stream().filter(b -> b.sendDate().equals(sendDate) && b.status().holdsSendDate()).findFirst()
        .map(b -> "the segment is already booked for " + sendDate + " (booking " + b.bookingId() + ", "
            + b.status().wire() + ")");
  }

  /** Why the segment cannot be booked as it is now (empty when it can). */
  public static Optional<String> refuseSegment(Optional<SegmentLookup.Bookable> segment, String segmentId) {
    if (segment.isEmpty()) return Optional.of("no segment " + segmentId + " in the latest generation");
    if (!segment.get().active()) {
      return Optional.of("segment " + segmentId + " is retired (generation " + segment.get().generationId() + ")");
    }
    return Optional.empty();
  }

  /** Why the booking cannot be cancelled (empty when it can): only before its upload starts. */
  public static Optional<String> refuseCancel(Booking b) {
    return switch (b.status()) {
      case REQUESTED, GENERATING, GENERATED -> Optional.empty();
      case UPLOADING, UPLOADED, NOTIFIED -> Optional.of("booking " + b.bookingId() + " is " + b.status().wire()
          + ": its upload has started, it can no longer be cancelled");
      case CANCELLED -> Optional.of("booking " + b.bookingId() + " is already cancelled");
      case FAILED -> Optional.of("booking " + b.bookingId() + " has failed: " + b.failure());
    };
  }

  /**
   * A booking's id: the segment, the send date and how many bookings of that date came before (a segment has one
   * live booking per date; a date freed by a cancel or a failure may be booked again, under another id).
   */
  public static String bookingId(String segmentId, LocalDate sendDate, long earlierOfThatDate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((segmentId + "\n" + sendDate + "\n" + earlierOfThatDate).getBytes(StandardCharsets.UTF_8));
      return "b-" + HexFormat.of().formatHex(digest).substring(0, ID_HEX_CHARS);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
