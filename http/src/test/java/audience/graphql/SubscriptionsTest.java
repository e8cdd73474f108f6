package audience.graphql;

import audience.bookings.Booking;
import audience.graphql.Subscriptions.BookingBatch;
import audience.graphql.Subscriptions.BookingEventNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The subscriptions' pure parts: a booking's events after those sent, when it is done, what counts as a run change. */
class SubscriptionsTest {
  private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");

  private static Booking booking(boolean notified, Booking.Status... statuses) {
    List<Booking.Transition> h = new ArrayList<>();
    for (int i = 0; i < statuses.length; i++) h.add(new Booking.Transition(statuses[i], T0.plusSeconds(i)));
    return new Booking("b-00000000000000000001", "s-1", "c", LocalDate.of(2030, 1, 1), "alice", T0, "g", "k",
        statuses[statuses.length - 1], T0, 0, "", null, Map.of(), null, "", notified, h);
  }

  @Test
  void eventsAfterThoseSentInOrderWithTheirSequence() {
    Booking b = booking(false, Booking.Status.REQUESTED, Booking.Status.GENERATING, Booking.Status.GENERATED);
    List<BookingEventNode> all = Subscriptions.events(b, 0);
    assertThat(all.stream().map(BookingEventNode::status).toList())
        .containsExactly("REQUESTED", "GENERATING", "GENERATED");
    assertThat(all.stream().map(BookingEventNode::sequence).toList()).containsExactly(1, 2, 3);
    assertThat(all.get(1).at()).isEqualTo(T0.plusSeconds(1).toString());
    List<BookingEventNode> rest = Subscriptions.events(b, 2);
    assertThat(rest).singleElement().satisfies(e -> {
      assertThat(e.status()).isEqualTo("GENERATED");
      assertThat(e.sequence()).isEqualTo(3);
      assertThat(e.terminal()).isFalse();
    });
    assertThat(Subscriptions.events(b, 3)).isEmpty();
  }

  @Test
  void aBookingWithoutHistoryShowsItsCurrentStatus() {
    Booking legacy = new Booking("b-00000000000000000002", "s-1", "c", LocalDate.of(2030, 1, 1), "a", T0, "g", "k",
        Booking.Status.UPLOADING, T0.plusSeconds(5), 0, "", null, Map.of(), null, "", false, List.of());
    assertThat(Subscriptions.events(legacy, 0)).singleElement()
        .satisfies(e -> assertThat(e.status()).isEqualTo("UPLOADING"));
  }

  @Test
  void doneAtATerminalStatusWithNothingDueAFailedOneOnceNotified() {
    assertThat(BookingBatch.of(booking(true, Booking.Status.REQUESTED, Booking.Status.GENERATING,
        Booking.Status.GENERATED, Booking.Status.UPLOADING, Booking.Status.UPLOADED, Booking.Status.NOTIFIED), 5)
        .done()).isTrue();
    assertThat(BookingBatch.of(booking(false, Booking.Status.REQUESTED, Booking.Status.CANCELLED), 0).done()).isTrue();
    BookingBatch failed = BookingBatch.of(booking(false, Booking.Status.REQUESTED, Booking.Status.FAILED), 0);
    assertThat(failed.done()).as("its failure notification is due").isFalse();
    assertThat(failed.events().get(1).terminal()).isTrue();
    assertThat(BookingBatch.of(booking(true, Booking.Status.REQUESTED, Booking.Status.FAILED), 2).done()).isTrue();
    assertThat(BookingBatch.of(booking(false, Booking.Status.REQUESTED, Booking.Status.UPLOADED), 0).done()).isFalse();
  }

  @Test
  void aRunChangesWithItsCountsOrPhaseNotWithItsRateAlone() {
    Views.RunNode a = new Views.RunNode("r", "RUNNING", "b", "p/", 10, 4, 2, 0, "", null, null, "", null,
        new Views.ProgressNode(2, false, 1, 1.0, 8));
    Views.RunNode faster = new Views.RunNode("r", "RUNNING", "b", "p/", 10, 4, 2, 0, "", null, null, "", null,
        new Views.ProgressNode(2, false, 1, 9.5, 1));
    Views.RunNode more = new Views.RunNode("r", "RUNNING", "b", "p/", 10, 5, 3, 0, "", null, null, "", null,
        new Views.ProgressNode(3, false, 1, 9.5, 1));
    Views.RunNode done = new Views.RunNode("r", "COMPLETED", "b", "p/", 10, 10, 10, 0, "", null, "t", "", null,
        new Views.ProgressNode(10, true, 0, 9.5, 0));
    assertThat(Subscriptions.changed(null, a)).isTrue();
    assertThat(Subscriptions.changed(a, faster)).isFalse();
    assertThat(Subscriptions.changed(faster, more)).isTrue();
    assertThat(Subscriptions.ended(more)).isFalse();
    assertThat(Subscriptions.ended(done)).isTrue();
  }
}
