package audience.ingestion;

import audience.config.Settings;
import audience.store.RunPhase;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The run entity alone, on the in-memory journal, its workers and tracker replaced by probes: its commands by phase,
 * the events it persists, and where it resumes after a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngestionRunTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int CHUNK = 4;
  private static final int WINDOW = 2;
  private static final String BUCKET = "raw";
  private static final Duration RESEND = Duration.ofMillis(300);
  private static final java.time.Instant T = java.time.Instant.parse("2026-01-01T00:00:00Z");

  private ActorTestKit testKit;
  private PersistenceTestKit journal;
  private Settings settings;
  private final ConcurrentSkipListSet<String> keys = new ConcurrentSkipListSet<>();
  /** The bucket's keys as this test's run lists them (a test may change them between a crash and a restart). */
  private final java.util.concurrent.atomic.AtomicReference<java.util.NavigableSet<String>> listingOf =
      new java.util.concurrent.atomic.AtomicReference<>();
  private final AtomicInteger pagesListed = new AtomicInteger();
  private TestProbe<FileWorker.Command> workers;
  private TestProbe<CompletionTracker.Command> tracker;
  private java.util.concurrent.atomic.AtomicReference<ActorRef<CompletionTracker.Command>> trackerOf;
  private InMemoryRuns runs;
  private final java.util.Queue<StallNotifier.IngestionStalled> stalls = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final AtomicInteger ids = new AtomicInteger();

  @BeforeAll
  void start() {
    settings = Settings.load(Map.of(
        "audience.ingestion.chunk-size", CHUNK,
        "audience.ingestion.list-page-size", 5,
        "audience.ingestion.max-chunks-in-flight", WINDOW,
        "audience.ingestion.workers", 1,
        "audience.ingestion.chunk-timeout", "1h",
        "audience.ingestion.stall-after-attempts", 3,
        "audience.ingestion.resend-interval", RESEND.toMillis() + "ms",
        "audience.ingestion.retry.min-backoff", "10ms",
        "audience.ingestion.retry.max-backoff", "50ms"));
    testKit = ActorTestKit.create("run", PersistenceTestKitPlugin.getInstance().config()
        .withFallback(ConfigFactory.parseString("pekko.persistence.snapshot-store.plugin = \"\"\n"
            + "pekko.actor.provider = local"))
        .withFallback(settings.config()));
    journal = PersistenceTestKit.create(testKit.system());
    IntStream.range(0, 10).forEach(i -> keys.add(String.format("p/f-%02d.json", i)));
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void fresh() {
    journal.clearAll();
    workers = testKit.createTestProbe();
    tracker = testKit.createTestProbe();
    trackerOf = new java.util.concurrent.atomic.AtomicReference<>(tracker.getRef());
    runs = new InMemoryRuns();
    stalls.clear();
    listingOf.set(keys);
  }

  private IngestionRun.Dependencies deps() {
    java.util.NavigableSet<String> bucket = listingOf.get();
    FileListing listing = (spec, startAfter, maxKeys) -> {
      pagesListed.incrementAndGet();
      List<FileRef> files = bucket.tailSet(startAfter, false).stream().limit(maxKeys + 1)
          .map(k -> new FileRef(k, 1)).toList();
      boolean more = files.size() > maxKeys;
      return CompletableFuture.completedFuture(new FileListing.Page(more ? files.subList(0, maxKeys) : files, more));
    };
    // this entity's addresses are the probes of its own test (entities of earlier tests may still be resending)
    ActorRef<FileWorker.Command> workerRef = workers.getRef();
    java.util.concurrent.atomic.AtomicReference<ActorRef<CompletionTracker.Command>> trackerRef = trackerOf;
    IngestionPeers peers = new IngestionPeers(id -> { throw new AssertionError("the run does not write to itself"); },
        id -> workerRef, id -> trackerRef.get());
    StallNotifier notifier = stalled -> {
      stalls.add(stalled);
      return CompletableFuture.completedFuture("msg-" + stalls.size());
    };
    return new IngestionRun.Dependencies(peers, listing, runs, notifier, settings.ingestion(), Clock.systemUTC(),
        IngestionMetrics.unregistered());
  }

  private String newRunId() {
    return "run-" + ids.incrementAndGet();
  }

  private ActorRef<IngestionRun.Command> spawn(String runId) {
    return testKit.spawn(IngestionRun.create(runId, deps()));
  }

  private static String pid(String runId) {
    return "IngestionRun|" + runId;
  }

  /** The next message of that type to the tracker that matches, past others (what is unanswered is resent). */
  private <M extends CompletionTracker.Command> M awaitMessage(Class<M> type, java.util.function.Predicate<M> match) {
    return type.cast(tracker.fishForMessage(TIMEOUT, m -> type.isInstance(m) && match.test(type.cast(m))
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0));
  }

  /** Every message the tracker gets within {@code window} (none may be what a test rules out). */
  private List<CompletionTracker.Command> trackerMessagesFor(Duration window) {
    List<CompletionTracker.Command> got = new java.util.ArrayList<>();
    java.time.Instant until = java.time.Instant.now().plus(window);
    while (java.time.Instant.now().isBefore(until)) {
      try {
        got.add(tracker.receiveMessage(Duration.between(java.time.Instant.now(), until)));
      } catch (AssertionError quiet) {
        break;
      }
    }
    return got;
  }

  /** The read model is written after the persist it follows: wait for it rather than race it. */
  private void awaitPhase(String runId, RunPhase phase) {
    testKit.createTestProbe().awaitAssert(TIMEOUT, () -> {
      assertThat(runs.phase(runId)).isEqualTo(phase);
      return null;
    });
  }

  /** A started run whose two first chunks are out (the window is full): what most tests begin with. */
  private ActorRef<IngestionRun.Command> startedWithAFullWindow(String id) {
    ActorRef<IngestionRun.Command> run = spawn(id);
    start(run, id);
    nextChunk();
    nextChunk();
    return run;
  }

  /** The incarnation of the run entity instance that dispatched the last chunk received. */
  private long incarnation;

  private FileWorker.ProcessChunk nextChunk() {
    FileWorker.ProcessChunk chunk = (FileWorker.ProcessChunk) workers.receiveMessage(TIMEOUT);
    incarnation = chunk.incarnation();
    return chunk;
  }

  private IngestionRun.Started start(ActorRef<IngestionRun.Command> run, String runId) {
    TestProbe<StatusReply<IngestionRun.Started>> reply = testKit.createTestProbe();
    run.tell(new IngestionRun.Start(new RunSpec(runId, BUCKET, "p/", RunSpec.UNKNOWN, "test"), reply.getRef()));
    return reply.receiveMessage(TIMEOUT).getValue();
  }

  private StatusReply<IngestionRun.View> control(ActorRef<IngestionRun.Command> run,
                                                  java.util.function.Function<ActorRef<StatusReply<IngestionRun.View>>,
                                                      IngestionRun.Command> command) {
    TestProbe<StatusReply<IngestionRun.View>> reply = testKit.createTestProbe();
    run.tell(command.apply(reply.getRef()));
    return reply.receiveMessage(TIMEOUT);
  }

  @Test
  void aRunNeverStartedRefusesControlAndReportsNoSpec() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = spawn(id);
    StatusReply<IngestionRun.View> reply = control(run, IngestionRun.Pause::new);
    assertThat(reply.isError()).isTrue();
    assertThat(reply.getError().getMessage()).isEqualTo("run " + id + " is new (never started); it cannot be paused");
    TestProbe<IngestionRun.View> view = testKit.createTestProbe();
    run.tell(new IngestionRun.GetStatus(view.getRef()));
    assertThat(view.receiveMessage(TIMEOUT).spec()).isNull();
    journal.expectNothingPersisted(pid(id));
  }

  @Test
  void startIsPersistedOnceAndTheWindowBoundsDispatch() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = spawn(id);
    assertThat(start(run, id).created()).isTrue();
    assertThat(runs.phase(id)).as("acknowledged once the run's row is written").isEqualTo(RunPhase.RUNNING);
    assertThat(start(run, id).created()).as("a second start is not a second run").isFalse();
    journal.expectNextPersistedClass(pid(id), IngestionRun.RunStarted.class);

    FileWorker.ProcessChunk first = nextChunk();
    FileWorker.ProcessChunk second = nextChunk();
    assertThat(List.of(first.chunkIndex(), second.chunkIndex())).containsExactly(0L, 1L);
    assertThat(first.files()).extracting(FileRef::key)
        .containsExactly("p/f-00.json", "p/f-01.json", "p/f-02.json", "p/f-03.json");
    workers.expectNoMessage(Duration.ofMillis(300)); // the window (2) is full
    assertThat(runs.phase(id)).isEqualTo(RunPhase.RUNNING);
  }

  @Test
  void settledChunksAreCommittedInOrderAndARestartResumesAfterTheOffset() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = startedWithAFullWindow(id);
    journal.expectNextPersistedClass(pid(id), IngestionRun.RunStarted.class);

    run.tell(new IngestionRun.ChunkSettled(1, incarnation, 1, 4, 0, T.plusSeconds(2)));
    journal.expectNothingPersisted(pid(id)); // chunk 0 is still out
    run.tell(new IngestionRun.ChunkSettled(0, incarnation, 1, 3, 1, T.plusSeconds(1)));
    journal.expectNextPersisted(pid(id), new IngestionRun.ChunksCommitted("p/f-07.json", 2, 8, 7, 1, T.plusSeconds(2)));
    assertThat(awaitMessage(CompletionTracker.Advance.class, m -> m.committed().settledChunks() == 2).committed())
        .isEqualTo(new CompletionTracker.Counts(2, 8, 7, 1, T.plusSeconds(2)));

    // the last, partial chunk goes out and finishes the listing; then the entity dies
    FileWorker.ProcessChunk last = nextChunk();
    assertThat(last.chunkIndex()).isEqualTo(2);
    assertThat(last.files()).hasSize(2);
    journal.expectNextPersisted(pid(id), new IngestionRun.ListingFinished(3, 10, "p/f-09.json"));
    testKit.stop(run);
    assertThat(trackerMessagesFor(RESEND)).as("not whole yet: no finish")
        .noneMatch(m -> m instanceof CompletionTracker.Finish);

    long before = incarnation;
    ActorRef<IngestionRun.Command> again = spawn(id);
    FileWorker.ProcessChunk redone = nextChunk();
    assertThat(redone.incarnation()).as("a new instance").isNotEqualTo(before);
    assertThat(redone.chunkIndex()).as("only the uncommitted chunk is redone").isEqualTo(2);
    assertThat(redone.files()).extracting(FileRef::key).containsExactly("p/f-08.json", "p/f-09.json");
    // a worker's late answer to the instance that died must not settle the chunk now numbered 2
    again.tell(new IngestionRun.ChunkSettled(2, before, 1, 2, 0, T));
    journal.expectNothingPersisted(pid(id));
    again.tell(new IngestionRun.ChunkSettled(2, incarnation, 1, 2, 0, T.plusSeconds(3)));
    journal.expectNextPersisted(pid(id), new IngestionRun.ChunksCommitted("p/f-09.json", 3, 2, 2, 0, T.plusSeconds(3)));
    CompletionTracker.Finish finish = awaitMessage(CompletionTracker.Finish.class, m -> true);
    assertThat(finish.totals()).as("the committed totals, across the restart")
        .isEqualTo(new CompletionTracker.Counts(3, 10, 9, 1, T.plusSeconds(3)));
    again.tell(new IngestionRun.DoneRecorded());
    assertThat(journal.expectNextPersistedClass(pid(id), IngestionRun.PhaseChanged.class).phase())
        .isEqualTo(RunPhase.COMPLETED);
    assertThat(control(again, IngestionRun.Resume::new).getError().getMessage()).contains("is completed");
  }

  @Test
  void keysAddedOrDeletedBetweenACrashAndTheRestartNeitherCompleteTheRunEarlyNorGetLost() {
    String id = newRunId();
    java.util.NavigableSet<String> own = new java.util.TreeSet<>(keys);
    listingOf.set(own);
    ActorRef<IngestionRun.Command> run = startedWithAFullWindow(id);
    run.tell(new IngestionRun.ChunkSettled(0, incarnation, 1, 4, 0, T));
    journal.expectNextPersistedClass(pid(id), IngestionRun.RunStarted.class);
    journal.expectNextPersistedClass(pid(id), IngestionRun.ChunksCommitted.class);
    nextChunk(); // chunk 2 (f-08, f-09) goes out: the listing is finished
    journal.expectNextPersisted(pid(id), new IngestionRun.ListingFinished(3, 10, "p/f-09.json"));
    testKit.stop(run);
    // meanwhile: f-05 deleted, two keys added within the run's range, one after its last key
    own.remove("p/f-05.json");
    own.addAll(List.of("p/f-04a.json", "p/f-06a.json", "p/f-99.json"));

    ActorRef<IngestionRun.Command> again = spawn(id);
    FileWorker.ProcessChunk c1 = nextChunk();
    FileWorker.ProcessChunk c2 = nextChunk();
    assertThat(c1.files()).extracting(FileRef::key)
        .containsExactly("p/f-04.json", "p/f-04a.json", "p/f-06.json", "p/f-06a.json");
    assertThat(c2.files()).extracting(FileRef::key).as("up to the listing's last key, not beyond")
        .containsExactly("p/f-07.json", "p/f-08.json", "p/f-09.json");
    again.tell(new IngestionRun.ChunkSettled(1, incarnation, 1, 4, 0, T));
    assertThat(trackerMessagesFor(RESEND)).as("chunk 2 is still out").noneMatch(m -> m instanceof CompletionTracker.Finish);
    again.tell(new IngestionRun.ChunkSettled(2, incarnation, 1, 2, 1, T));
    assertThat(awaitMessage(CompletionTracker.Finish.class, m -> true).totals().settledFiles())
        .as("4 committed before the crash + 7 after").isEqualTo(11);
  }

  @Test
  void pauseHoldsDispatchResumeGoesOnAndCancelEndsTheRun() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = startedWithAFullWindow(id);
    assertThat(control(run, IngestionRun.Pause::new).getValue().phase()).isEqualTo(RunPhase.PAUSED);
    run.tell(new IngestionRun.ChunkSettled(0, incarnation, 1, 4, 0, java.time.Instant.now()));
    workers.expectNoMessage(Duration.ofMillis(300)); // paused: the freed place is not used
    assertThat(control(run, IngestionRun.Resume::new).getValue().phase()).isEqualTo(RunPhase.RUNNING);
    assertThat((nextChunk()).chunkIndex()).isEqualTo(2);

    assertThat(control(run, IngestionRun.Cancel::new).getValue().phase()).isEqualTo(RunPhase.CANCELLED);
    run.tell(new IngestionRun.ChunkSettled(1, incarnation, 1, 4, 0, java.time.Instant.now()));
    workers.expectNoMessage(Duration.ofMillis(300));
    assertThat(control(run, IngestionRun.Pause::new).getError().getMessage()).contains("is cancelled");
    awaitPhase(id, RunPhase.CANCELLED);
  }

  @Test
  void aFailedChunkIsDispatchedAgainAsItsNextAttemptAndStaleFailuresAreIgnored() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = startedWithAFullWindow(id);
    run.tell(new IngestionRun.ChunkFailed(0, incarnation, 1, "DynamoDB down"));
    FileWorker.ProcessChunk retried = nextChunk();
    assertThat(retried.chunkIndex()).isEqualTo(0);
    assertThat(retried.attempt()).isEqualTo(2);
    run.tell(new IngestionRun.ChunkFailed(0, incarnation, 1, "late answer of attempt 1"));
    workers.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void aChunkThatKeepsFailingStallsTheRunVisiblyUntilOneSettles() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = startedWithAFullWindow(id);
    journal.expectNextPersistedClass(pid(id), IngestionRun.RunStarted.class);
    for (int attempt = 1; attempt <= 3; attempt++) {
      run.tell(new IngestionRun.ChunkFailed(0, incarnation, attempt, "DynamoDB 500"));
      if (attempt < 3) assertThat((nextChunk()).attempt()).isEqualTo(attempt + 1);
    }
    IngestionRun.RunStalled stalled = journal.expectNextPersistedClass(pid(id), IngestionRun.RunStalled.class);
    assertThat(stalled.reason()).contains("chunk 0").contains("3 attempts").contains("DynamoDB 500");
    journal.expectNextPersistedClass(pid(id), IngestionRun.StallReported.class);
    assertThat(stalls).singleElement().satisfies(n -> assertThat(n.runId()).isEqualTo(id));
    awaitPhase(id, RunPhase.STALLED);
    TestProbe<IngestionRun.View> view = testKit.createTestProbe();
    run.tell(new IngestionRun.GetStatus(view.getRef()));
    IngestionRun.View stalledView = view.receiveMessage(TIMEOUT);
    assertThat(stalledView.phase()).isEqualTo(RunPhase.STALLED);
    assertThat(stalledView.stallReason()).isEqualTo(stalled.reason());

    // the cause clears: a chunk settles, and the run is running again by itself
    run.tell(new IngestionRun.ChunkSettled(1, incarnation, 1, 4, 0, java.time.Instant.now()));
    assertThat(journal.expectNextPersistedClass(pid(id), IngestionRun.PhaseChanged.class).phase())
        .isEqualTo(RunPhase.RUNNING);
    awaitPhase(id, RunPhase.RUNNING);
  }

  @Test
  void theFinishIsSentAgainUntilTheTrackerAcknowledgesIt() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = startedWithAFullWindow(id);
    run.tell(new IngestionRun.ChunkSettled(0, incarnation, 1, 4, 0, T, 1_000));
    run.tell(new IngestionRun.ChunkSettled(1, incarnation, 1, 4, 0, T, 3_000));
    run.tell(new IngestionRun.ChunkSettled(nextChunk().chunkIndex(), incarnation, 1, 2, 0, T, 2_000));
    // the tracker (its node died, say) never answers: the finish is sent again, and again
    for (int i = 0; i < 3; i++) {
      CompletionTracker.Counts totals = awaitMessage(CompletionTracker.Finish.class, m -> true).totals();
      assertThat(totals.settledFiles()).isEqualTo(10);
      assertThat(totals.newestLastActive()).as("the run's data time: its newest lastActive").isEqualTo(3_000);
    }
    run.tell(new IngestionRun.DoneRecorded());
    awaitPhase(id, RunPhase.COMPLETED);
    tracker = testKit.createTestProbe(); // what the run sends from now on
    trackerOf.set(tracker.getRef());
    assertThat(trackerMessagesFor(RESEND.multipliedBy(3))).as("acknowledged: nothing is sent again").isEmpty();
  }
}
