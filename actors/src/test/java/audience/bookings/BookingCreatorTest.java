package audience.bookings;

import audience.config.Settings;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The creator alone on the in-memory journal: a slot runs once, a missed one on start, an interrupted one again. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BookingCreatorTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String PID = "BookingCreator|" + BookingCreator.ID;
  private static final CreatorSchedule SCHEDULE = new CreatorSchedule(
      List.of(LocalTime.of(6, 0), LocalTime.of(12, 0), LocalTime.of(18, 0)), ZoneOffset.UTC);
  private static final List<BookingCreator.BookingRef> REQUESTED = List.of(
      new BookingCreator.BookingRef("seg-1", "b-1"), new BookingCreator.BookingRef("seg-2", "b-2"));

  private ActorTestKit testKit;
  private PersistenceTestKit journal;
  private final AtomicReference<Instant> now = new AtomicReference<>();
  private final ConcurrentLinkedQueue<BookingCreator.BookingRef> generated = new ConcurrentLinkedQueue<>();
  private final AtomicReference<CompletableFuture<List<BookingCreator.BookingRef>>> listing = new AtomicReference<>();

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create("creator", PersistenceTestKitPlugin.getInstance().config()
        .withFallback(ConfigFactory.parseString("pekko.persistence.snapshot-store.plugin = \"\"\n"
            + "pekko.actor.provider = local"))
        .withFallback(Settings.load().config()));
    journal = PersistenceTestKit.create(testKit.system());
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void fresh() {
    journal.clearAll();
    generated.clear();
    listing.set(CompletableFuture.completedFuture(REQUESTED));
  }

  private ActorRef<BookingCreator.Command> spawn() {
    Clock clock = new SettableClock(now);
    return testKit.spawn(BookingCreator.create(new BookingCreator.Dependencies(SCHEDULE, () -> listing.get(),
        generated::add, Duration.ofMillis(50), clock)));
  }

  @Test
  void theLatestSlotRunsOnceAndTheNextWhenItComes() {
    now.set(Instant.parse("2026-11-27T13:00:00Z"));
    ActorRef<BookingCreator.Command> creator = spawn();
    assertThat(journal.expectNextPersistedClass(PID, BookingCreator.SlotStarted.class).slot())
        .isEqualTo(Instant.parse("2026-11-27T12:00:00Z"));
    assertThat(journal.expectNextPersistedClass(PID, BookingCreator.SlotCompleted.class).bookings()).isEqualTo(2);
    assertThat(generated).containsExactlyElementsOf(REQUESTED);
    creator.tell(new BookingCreator.Wake());
    testKit.stop(creator);
    ActorRef<BookingCreator.Command> again = spawn(); // a restart in the same slot runs nothing
    journal.expectNothingPersisted(PID, Duration.ofMillis(300));
    assertThat(generated).hasSize(2);
    now.set(Instant.parse("2026-11-28T07:00:00Z")); // down over 18:00 and 06:00: the latest runs, once
    again.tell(new BookingCreator.Wake());
    again.tell(new BookingCreator.Wake());
    assertThat(journal.expectNextPersistedClass(PID, BookingCreator.SlotStarted.class).slot())
        .isEqualTo(Instant.parse("2026-11-28T06:00:00Z"));
    journal.expectNextPersistedClass(PID, BookingCreator.SlotCompleted.class);
    journal.expectNothingPersisted(PID, Duration.ofMillis(300));
    assertThat(generated).hasSize(4);
  }

  @Test
  void aSlotInterruptedByACrashRunsAgainAndRunNowAnswers() {
    now.set(Instant.parse("2026-11-27T06:30:00Z"));
    listing.set(new CompletableFuture<>()); // the read model hangs: the slot is started, never completed
    ActorRef<BookingCreator.Command> creator = spawn();
    journal.expectNextPersistedClass(PID, BookingCreator.SlotStarted.class);
    testKit.stop(creator);
    listing.set(CompletableFuture.completedFuture(REQUESTED));
    ActorRef<BookingCreator.Command> again = spawn();
    assertThat(journal.expectNextPersistedClass(PID, BookingCreator.SlotCompleted.class).slot())
        .isEqualTo(Instant.parse("2026-11-27T06:00:00Z"));
    assertThat(generated).containsExactlyElementsOf(REQUESTED);

    TestProbe<StatusReply<BookingCreator.Run>> reply = testKit.createTestProbe();
    again.tell(new BookingCreator.RunNow(reply.getRef()));
    assertThat(reply.receiveMessage(TIMEOUT).getValue().bookings()).isEqualTo(2);
    assertThat(generated).hasSize(4);
    journal.expectNothingPersisted(PID, Duration.ofMillis(300));
  }
}
