package audience.bookings;

import audience.config.Settings;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The booking entity's commands, events and state survive Jackson CBOR (the journal, snapshots and remoting). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BookingSerializationTest {
  private static final Instant AT = Instant.parse("2026-11-27T06:00:00Z");
  private static final LocalDate DAY = LocalDate.parse("2026-12-01");
  private ActorTestKit testKit;
  private SerializationTestKit serialization;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create("booking-serialization", Settings.load().config());
    serialization = new SerializationTestKit(testKit.system());
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  private void roundTrip(Object o) {
    assertThat(serialization.verifySerialization(o, true)).isEqualTo(o);
  }

  @Test
  void eventsAndStateRoundTrip() {
    List<SegmentBooking.Event> events = List.of(
        new SegmentBooking.BookingRequested("b-1", "summer", DAY, "alice", "g-1", "metadata/g-1/s.json", AT),
        new SegmentBooking.GenerationStarted("b-1", AT),
        new SegmentBooking.AudienceGenerated("b-1", new Booking.Audience("audiences/b-1.csv", 12, "ab", 900), AT),
        new SegmentBooking.UploadStarted("b-1", AT),
        new SegmentBooking.ChunkJobCreated("b-1", 0, "job-1", AT),
        new SegmentBooking.AttemptFailed("b-1", "poll job job-1 (attempt 1): 429", AT),
        new SegmentBooking.ChunkImported("b-1", 0, "job-1", 11, 1, AT),
        new SegmentBooking.Uploaded("b-1", 1, 11, 1, AT),
        new SegmentBooking.NotificationSent("b-1", "msg-1", AT));
    SegmentBooking.State state = new SegmentBooking.State("seg-1", Map.of());
    for (SegmentBooking.Event e : events) {
      roundTrip(e);
      state = e.applyTo(state);
    }
    roundTrip(new SegmentBooking.BookingCancelled("b-2", AT));
    roundTrip(new SegmentBooking.BookingFailed("b-2", "the send date passed", AT));
    Booking b = state.get("b-1");
    assertThat(b.status()).isEqualTo(Booking.Status.NOTIFIED);
    assertThat(b.chunks()).containsEntry(0, new Booking.ChunkJob("job-1", 11, 1));
    assertThat(b.attempts()).isEqualTo(1);
    roundTrip(state);
  }

  @Test
  void commandsRoundTrip() {
    TestProbe<StatusReply<Booking>> reply = testKit.createTestProbe();
    roundTrip(new SegmentBooking.Book("summer", DAY, "alice", reply.getRef()));
    roundTrip(new SegmentBooking.Cancel("b-1", reply.getRef()));
    roundTrip(new SegmentBooking.Generate("b-1"));
    roundTrip(new SegmentBooking.Wake());
    roundTrip(new SegmentBooking.SegmentChecked(new SegmentBooking.Book("s", DAY, "a", reply.getRef()),
        Optional.of(new SegmentLookup.Bookable("seg-1", "g-1", "metadata/g-1/s.json", 3, true)), null));
  }
}
