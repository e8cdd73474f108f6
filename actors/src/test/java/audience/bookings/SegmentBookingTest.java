package audience.bookings;

import audience.bookings.Booking.Status;
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

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The booking entity alone, on the in-memory journal, with in-memory stand-ins for the segments, the audience file,
 * the EDM platform (behind the real {@link AudienceUploader}), the notifier and the read model: every legal and
 * illegal transition, retries, the retry budget, the send date passing, and a restart mid-upload.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SegmentBookingTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ZoneId ZONE = ZoneOffset.UTC;
  private static final Instant T0 = Instant.parse("2026-11-27T01:00:00Z");
  private static final LocalDate TODAY = LocalDate.ofInstant(T0, ZONE);
  private static final int CHUNK = 3;
  private static final int MAX_ATTEMPTS = 4;
  private static final int MEMBERS = 8;
  /** Two import jobs at the platform at once: chunks overlap, and a restart finds more than one job recorded. */
  private static final int PARALLEL_JOBS = 2;

  private ActorTestKit testKit;
  private PersistenceTestKit journal;
  private final ExecutorService blocking = Executors.newCachedThreadPool();
  private final AtomicReference<Instant> now = new AtomicReference<>(T0);
  private final Map<String, SegmentLookup.Bookable> segments = new ConcurrentHashMap<>();
  private final Deque<Supplier<RuntimeException>> audienceFailures = new ConcurrentLinkedDeque<>();
  private final FakeEdm edm = new FakeEdm();
  private final ConcurrentLinkedQueue<Booking> notified = new ConcurrentLinkedQueue<>();
  private final Map<String, Booking> readModel = new ConcurrentHashMap<>();
  private final AtomicInteger readModelFailures = new AtomicInteger();
  private final AtomicInteger ids = new AtomicInteger();

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create("bookings", PersistenceTestKitPlugin.getInstance().config()
        .withFallback(ConfigFactory.parseString("pekko.persistence.snapshot-store.plugin = \"\"\n"
            + "pekko.actor.provider = local"))
        .withFallback(Settings.load().config()));
    journal = PersistenceTestKit.create(testKit.system());
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
    blocking.shutdownNow();
  }

  @BeforeEach
  void fresh() {
    journal.clearAll();
    now.set(T0);
    segments.clear();
    audienceFailures.clear();
    edm.reset();
    notified.clear();
    readModel.clear();
    readModelFailures.set(0);
  }

  /** A platform that imports at once, with scripted failures for its next calls and jobs that may end failed. */
  static final class FakeEdm implements EdmPlatform {
    final Map<String, Integer> imports = new ConcurrentHashMap<>();
    final Map<String, ImportJob> jobs = new ConcurrentHashMap<>();
    final Deque<Supplier<RuntimeException>> failures = new ConcurrentLinkedDeque<>();
    volatile boolean jobsFail;
    volatile boolean down;
    /** A job whose poll is held until the returned future completes (null: answered at once). */
    volatile java.util.function.Function<String, CompletableFuture<Void>> hold = jobId -> null;
    final AtomicInteger created = new AtomicInteger();

    void reset() {
      imports.clear();
      jobs.clear();
      failures.clear();
      jobsFail = false;
      down = false;
      hold = jobId -> null;
      created.set(0);
    }

    private <T> CompletionStage<T> answer(Supplier<T> ok) {
      Supplier<RuntimeException> f = failures.poll();
      if (f != null) return CompletableFuture.failedFuture(f.get());
      if (down) return CompletableFuture.failedFuture(new Unavailable("500 from the platform"));
      return CompletableFuture.completedFuture(ok.get());
    }

    @Override
    public CompletionStage<String> createImport(String tag, List<Profile> profiles) {
      return answer(() -> {
        String id = "job-" + created.incrementAndGet();
        if (!jobsFail) profiles.forEach(p -> imports.merge(p.memberId(), 1, Integer::sum));
        jobs.put(id, new ImportJob(id, tag, jobsFail ? Status.FAILED : Status.COMPLETE,
            jobsFail ? 0 : profiles.size(), 0, List.of()));
        return id;
      });
    }

    @Override
    public CompletionStage<ImportJob> job(String jobId) {
      CompletableFuture<Void> held = hold.apply(jobId);
      return held != null ? held.thenCompose(v -> answer(() -> jobs.get(jobId))) : answer(() -> jobs.get(jobId));
    }

    @Override
    public CompletionStage<Optional<ImportJob>> findByTag(String tag) {
      return answer(() -> jobs.values().stream().filter(j -> j.tag().equals(tag)).findFirst());
    }
  }

  private static byte[] csv() {
    StringBuilder b = new StringBuilder("memberId,email,suburb,state,postcode,intent,propertyType,bedrooms,lastActive\n");
    for (int i = 0; i < MEMBERS; i++) {
      b.append("m-abcd").append(i).append(",a").append(i).append("@example.com,\"Bondi, Beach\",NSW,2026,buy,house,3,")
          .append(T0).append('\n');
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private SegmentBooking.Dependencies deps() {
    Clock clock = new SettableClock(now);
    SegmentBooking.AudienceWriter audiences = (bookingId, metadataKey) -> {
      Supplier<RuntimeException> f = audienceFailures.poll();
      return f != null ? CompletableFuture.failedFuture(f.get())
          : CompletableFuture.completedFuture(new Booking.Audience("audiences/" + bookingId + ".csv", MEMBERS, "c0ffee",
              csv().length));
    };
    AudienceUploader uploader = new AudienceUploader(key -> new ByteArrayInputStream(csv()), edm,
        new AudienceUploader.Settings(CHUNK, MAX_ATTEMPTS, Duration.ofMillis(5), Duration.ofMillis(20),
            Duration.ofMillis(5), Duration.ofMillis(20), PARALLEL_JOBS), blocking);
    return new SegmentBooking.Dependencies(id -> CompletableFuture.completedFuture(Optional.ofNullable(segments.get(id))),
        audiences, uploader, b -> {
          notified.add(b);
          return CompletableFuture.completedFuture("msg-" + notified.size());
        }, (b, version) -> {
          if (readModelFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            return CompletableFuture.failedFuture(new IllegalStateException("DynamoDB 500"));
          }
          readModel.merge(b.bookingId(), b, (old, next) -> next);
          return CompletableFuture.completedFuture(null);
        }, new SegmentBooking.Policy(MAX_ATTEMPTS, Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofHours(1),
            ZONE), TIMEOUT, clock, BookingMetrics.unregistered());
  }

  private String segment(boolean active) {
    String id = "nsw~bondi-" + ids.incrementAndGet() + "~buy~house~0-500000";
    segments.put(id, new SegmentLookup.Bookable(id, "g-1", "metadata/g-1/" + id + ".json", MEMBERS, active));
    return id;
  }

  private ActorRef<SegmentBooking.Command> spawn(String segmentId) {
    return testKit.spawn(SegmentBooking.create(segmentId, deps()));
  }

  private StatusReply<Booking> book(ActorRef<SegmentBooking.Command> entity, String campaign, LocalDate date) {
    TestProbe<StatusReply<Booking>> reply = testKit.createTestProbe();
    entity.tell(new SegmentBooking.Book(campaign, date, "alice", reply.getRef()));
    return reply.receiveMessage(TIMEOUT);
  }

  private StatusReply<Booking> cancel(ActorRef<SegmentBooking.Command> entity, String bookingId) {
    TestProbe<StatusReply<Booking>> reply = testKit.createTestProbe();
    entity.tell(new SegmentBooking.Cancel(bookingId, reply.getRef()));
    return reply.receiveMessage(TIMEOUT);
  }

  private Booking awaitStatus(String bookingId, Status status) {
    Booking[] last = new Booking[1];
    testKit.createTestProbe().awaitAssert(TIMEOUT, () -> {
      last[0] = readModel.get(bookingId);
      assertThat(last[0]).isNotNull();
      assertThat(last[0].status()).isEqualTo(status);
      return null;
    });
    return last[0];
  }

  @Test
  void aBookingGoesFromRequestedToNotifiedAndEachEffectIsRecorded() {
    String seg = segment(true);
    ActorRef<SegmentBooking.Command> entity = spawn(seg);
    Booking booked = book(entity, "summer", TODAY.plusDays(3)).getValue();
    assertThat(booked.status()).isEqualTo(Status.REQUESTED);
    assertThat(booked.requestedBy()).isEqualTo("alice");
    assertThat(book(entity, "summer", TODAY.plusDays(3)).getValue()).as("a repeat answers the same booking")
        .isEqualTo(booked);

    entity.tell(new SegmentBooking.Generate(booked.bookingId()));
    Booking done = awaitStatus(booked.bookingId(), Status.NOTIFIED);
    assertThat(done.audience().members()).isEqualTo(MEMBERS);
    assertThat(done.upload()).isEqualTo(new Booking.Upload(3, MEMBERS, 0));
    assertThat(done.chunks()).hasSize(3).allSatisfy((i, job) -> assertThat(job.done()).isTrue());
    assertThat(edm.imports).hasSize(MEMBERS).allSatisfy((m, n) -> assertThat(n).as(m).isEqualTo(1));
    assertThat(notified).singleElement().satisfies(b -> assertThat(b.status()).isEqualTo(Status.UPLOADED));
    assertThat(done.attempts()).isZero();
    entity.tell(new SegmentBooking.Generate(booked.bookingId()));
    entity.tell(new SegmentBooking.Wake());
    TestProbe<List<Booking>> all = testKit.createTestProbe();
    entity.tell(new SegmentBooking.GetBookings(all.getRef()));
    assertThat(all.receiveMessage(TIMEOUT)).singleElement().extracting(Booking::status).isEqualTo(Status.NOTIFIED);
    assertThat(edm.created.get()).as("nothing imported again").isEqualTo(3);
    assertThat(notified).hasSize(1);
  }

  @Test
  void aLogLineOfTheEntityCarriesItsPersistenceIdInTheMdcForTheJsonLogs() {
    // SLF4J binds its static MDC once; a JVM whose first MDC use raced SLF4J's start holds a stand-in that logback
    // never reads (the service's main starts logging before any thread: ServiceMain, Logging.apply).
    org.junit.jupiter.api.Assumptions.assumeTrue(
        org.slf4j.MDC.getMDCAdapter() instanceof ch.qos.logback.classic.util.LogbackMDCAdapter,
        "SLF4J's MDC is logback's in this JVM");
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SegmentBooking.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      String seg = segment(true);
      Booking booked = book(spawn(seg), "mdc", TODAY.plusDays(2)).getValue();
      testKit.createTestProbe().awaitAssert(TIMEOUT, () -> {
        assertThat(List.copyOf(lines.list)).filteredOn(e -> e.getFormattedMessage().contains(booked.bookingId()))
            .isNotEmpty().allSatisfy(e -> assertThat(e.getMDCPropertyMap())
                .containsEntry("persistenceId", SegmentBooking.TYPE_KEY.name() + "|" + seg));
        return null;
      });
    } finally {
      logger.detachAppender(lines);
    }
  }

  @Test
  void illegalBookingsAreRefusedWithTheReason() {
    String seg = segment(true);
    ActorRef<SegmentBooking.Command> entity = spawn(seg);
    assertThat(book(entity, "late", TODAY.minusDays(1)).getError().getMessage()).contains("is in the past");
    Booking first = book(entity, "one", TODAY.plusDays(1)).getValue();
    assertThat(book(entity, "two", TODAY.plusDays(1)).getError().getMessage())
        .contains("already booked for " + TODAY.plusDays(1)).contains(first.bookingId());
    String retired = segment(false);
    assertThat(book(spawn(retired), "x", TODAY.plusDays(1)).getError().getMessage()).contains("is retired");
    assertThat(book(spawn("nsw~nowhere~buy~house~0-1"), "x", TODAY.plusDays(1)).getError().getMessage())
        .contains("no segment");
    assertThat(cancel(entity, "b-unknown").getError().getMessage()).contains("no booking b-unknown");

    Booking cancelled = cancel(entity, first.bookingId()).getValue();
    assertThat(cancelled.status()).isEqualTo(Status.CANCELLED);
    assertThat(cancel(entity, first.bookingId()).getError().getMessage()).contains("already cancelled");
    Booking again = book(entity, "two", TODAY.plusDays(1)).getValue();
    assertThat(again.bookingId()).as("a cancelled date may be booked again, under another id")
        .isNotEqualTo(first.bookingId());
    entity.tell(new SegmentBooking.Generate(first.bookingId()));
    assertThat(awaitStatus(first.bookingId(), Status.CANCELLED).audience()).as("a cancelled booking is not made")
        .isNull();
  }

  @Test
  void aBookingCannotBeCancelledOnceItsUploadStarted() {
    String seg = segment(true);
    ActorRef<SegmentBooking.Command> entity = spawn(seg);
    Booking b = book(entity, "c", TODAY.plusDays(2)).getValue();
    CompletableFuture<Void> gate = new CompletableFuture<>();
    edm.failures.add(() -> {
      gate.join(); // hold the upload at its first call
      return new EdmPlatform.Unavailable("held");
    });
    entity.tell(new SegmentBooking.Generate(b.bookingId()));
    awaitStatus(b.bookingId(), Status.UPLOADING);
    assertThat(cancel(entity, b.bookingId()).getError().getMessage()).contains("can no longer be cancelled");
    gate.complete(null);
    assertThat(awaitStatus(b.bookingId(), Status.NOTIFIED).attempts()).isEqualTo(1);
  }

  @Test
  void throttlingAndServerErrorsAreRetriedAndCounted() {
    String seg = segment(true);
    ActorRef<SegmentBooking.Command> entity = spawn(seg);
    Booking b = book(entity, "retry", TODAY.plusDays(2)).getValue();
    edm.failures.add(() -> new EdmPlatform.RateLimited(Duration.ofMillis(10)));
    edm.failures.add(() -> new EdmPlatform.Unavailable("500 from the platform"));
    audienceFailures.add(() -> new IllegalStateException("S3 503 SlowDown"));
    entity.tell(new SegmentBooking.Generate(b.bookingId()));
    Booking done = awaitStatus(b.bookingId(), Status.NOTIFIED);
    assertThat(done.attempts()).as("one audience attempt, two platform attempts").isEqualTo(3);
    assertThat(done.lastError()).contains("500 from the platform");
    assertThat(edm.imports).hasSize(MEMBERS).allSatisfy((m, n) -> assertThat(n).isEqualTo(1));
    assertThat(notified).singleElement().extracting(Booking::status).isEqualTo(Status.UPLOADED);
  }

  @Test
  void aPlatformDownForGoodFailsTheBookingWithOneFailureNotification() {
    String seg = segment(true);
    ActorRef<SegmentBooking.Command> entity = spawn(seg);
    Booking b = book(entity, "down", TODAY.plusDays(2)).getValue();
    edm.down = true;
    entity.tell(new SegmentBooking.Generate(b.bookingId()));
    Booking failed = awaitStatus(b.bookingId(), Status.FAILED);
    assertThat(failed.failure()).contains("still failing after " + MAX_ATTEMPTS + " attempts");
    testKit.createTestProbe().awaitAssert(TIMEOUT, () -> {
      assertThat(readModel.get(b.bookingId()).notified()).isTrue();
      return null;
    });
    entity.tell(new SegmentBooking.Wake());
    assertThat(notified).singleElement().extracting(Booking::status).isEqualTo(Status.FAILED);
    assertThat(cancel(entity, b.bookingId()).getError().getMessage()).contains("has failed");
  }

  @Test
  void aJobThatEndsFailedFailsTheBooking() {
    String seg = segment(true);
    ActorRef<SegmentBooking.Command> entity = spawn(seg);
    Booking b = book(entity, "jobfail", TODAY.plusDays(2)).getValue();
    edm.jobsFail = true;
    entity.tell(new SegmentBooking.Generate(b.bookingId()));
    assertThat(awaitStatus(b.bookingId(), Status.FAILED).failure()).contains("failed on the platform");
  }

  @Test
  void aBookingWhoseSendDatePassesFirstFails() {
    String seg = segment(true);
    ActorRef<SegmentBooking.Command> entity = spawn(seg);
    Booking b = book(entity, "slow", TODAY.plusDays(1)).getValue();
    now.set(T0.plus(Duration.ofDays(2)));
    entity.tell(new SegmentBooking.Wake());
    assertThat(awaitStatus(b.bookingId(), Status.FAILED).failure()).contains("passed before the upload");
    testKit.createTestProbe().awaitAssert(TIMEOUT, () -> {
      assertThat(notified).singleElement().extracting(Booking::status).isEqualTo(Status.FAILED);
      return null;
    });
  }

  @Test
  void aRestartMidUploadResumesFromTheRecordedJobsAndImportsNobodyTwice() {
    String seg = segment(true);
    ActorRef<SegmentBooking.Command> entity = spawn(seg);
    Booking b = book(entity, "crash", TODAY.plusDays(2)).getValue();
    CompletableFuture<Void> gate = new CompletableFuture<>();
    edm.hold = jobId -> jobId.equals("job-2") && !gate.isDone() ? gate : null; // chunk 1's job: polled, held
    entity.tell(new SegmentBooking.Generate(b.bookingId()));
    testKit.createTestProbe().awaitAssert(TIMEOUT, () -> {
      Booking mid = readModel.get(b.bookingId());
      assertThat(mid.chunks()).containsKeys(0, 1);
      assertThat(mid.chunks().get(0).done()).isTrue();
      assertThat(mid.chunks().get(1).done()).as("job recorded, not yet imported").isFalse();
      return null;
    });
    testKit.stop(entity); // the entity dies mid-upload; its uploader is still waiting on the platform

    edm.hold = jobId -> null;
    ActorRef<SegmentBooking.Command> again = spawn(seg); // recovery redoes the upload from the recorded jobs
    Booking done = awaitStatus(b.bookingId(), Status.NOTIFIED);
    gate.complete(null); // the dead instance's uploader wakes up; its reports reach nobody
    assertThat(done.upload()).isEqualTo(new Booking.Upload(3, MEMBERS, 0));
    assertThat(edm.created.get()).as("chunk 1's job was polled again, not created again").isEqualTo(3);
    assertThat(edm.imports).hasSize(MEMBERS).allSatisfy((m, n) -> assertThat(n).as(m).isEqualTo(1));
    assertThat(notified).singleElement().extracting(Booking::status).isEqualTo(Status.UPLOADED);
    TestProbe<List<Booking>> all = testKit.createTestProbe();
    again.tell(new SegmentBooking.GetBookings(all.getRef()));
    assertThat(all.receiveMessage(TIMEOUT)).singleElement().extracting(Booking::status).isEqualTo(Status.NOTIFIED);
  }

  @Test
  void aFailedReadModelWriteIsWrittenAgainSoTheCreatorFindsTheBooking() {
    String seg = segment(true);
    ActorRef<SegmentBooking.Command> entity = spawn(seg);
    readModelFailures.set(2);
    Booking b = book(entity, "lost row", TODAY.plusDays(1)).getValue();
    assertThat(awaitStatus(b.bookingId(), Status.REQUESTED).campaign()).isEqualTo("lost row");
    assertThat(readModelFailures.get()).isZero();
  }
}
