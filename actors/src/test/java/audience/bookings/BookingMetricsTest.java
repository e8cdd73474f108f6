package audience.bookings;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BookingMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final BookingMetrics metrics = new BookingMetrics(registry);

  private double bookings(Booking.Status status) {
    return registry.get(BookingMetrics.BOOKINGS).tag("status", status.wire()).gauge().value();
  }

  private static Booking booking(String id, Booking.Status status) {
    Instant at = Instant.parse("2026-11-27T10:00:00Z");
    return Booking.requested(id, "seg", "c", LocalDate.of(2026, 12, 1), "someone", "g", "m", at).with(status, at);
  }

  @Test
  void bookingsByStatusAreTheEntitiesLatestHoldingsSummed() {
    metrics.held("s1", List.of(booking("b1", Booking.Status.REQUESTED), booking("b2", Booking.Status.NOTIFIED)));
    metrics.held("s2", List.of(booking("b3", Booking.Status.REQUESTED)));
    assertThat(bookings(Booking.Status.REQUESTED)).isEqualTo(2);
    assertThat(bookings(Booking.Status.NOTIFIED)).isEqualTo(1);
    assertThat(bookings(Booking.Status.FAILED)).isZero();
    metrics.held("s1", List.of(booking("b1", Booking.Status.UPLOADING), booking("b2", Booking.Status.NOTIFIED)));
    assertThat(bookings(Booking.Status.REQUESTED)).isEqualTo(1);
    assertThat(bookings(Booking.Status.UPLOADING)).isEqualTo(1);
    metrics.released("s2");
    assertThat(bookings(Booking.Status.REQUESTED)).isZero();
  }

  @Test
  void outcomesAreCountedApart() {
    metrics.uploadEnded(true);
    metrics.uploadEnded(false);
    metrics.uploadEnded(true);
    metrics.rows(10, 2);
    metrics.notification(false);
    metrics.notification(true);
    assertThat(registry.get(BookingMetrics.UPLOADS).tag("outcome", "uploaded").counter().count()).isEqualTo(2);
    assertThat(registry.get(BookingMetrics.UPLOADS).tag("outcome", "failed").counter().count()).isEqualTo(1);
    assertThat(registry.get(BookingMetrics.ROWS).tag("outcome", "imported").counter().count()).isEqualTo(10);
    assertThat(registry.get(BookingMetrics.ROWS).tag("outcome", "rejected").counter().count()).isEqualTo(2);
    assertThat(registry.get(BookingMetrics.NOTIFICATIONS).tag("outcome", "sent").counter().count()).isEqualTo(1);
    assertThat(registry.get(BookingMetrics.NOTIFICATIONS).tag("outcome", "failed").counter().count()).isEqualTo(1);
  }
}
