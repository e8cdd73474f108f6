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

  private ActorTestKit testKit;
  private PersistenceTestKit journal;
  private Settings settings;
  private final ConcurrentSkipListSet<String> keys = new ConcurrentSkipListSet<>();
  private final AtomicInteger pagesListed = new AtomicInteger();
  private TestProbe<FileWorker.Command> workers;
  private TestProbe<CompletionTracker.Command> tracker;
  private InMemoryRuns runs;
  private final AtomicInteger ids = new AtomicInteger();

  @BeforeAll
  void start() {
    settings = Settings.load(Map.of(
        "audience.ingestion.chunk-size", CHUNK,
        "audience.ingestion.list-page-size", 5,
        "audience.ingestion.max-chunks-in-flight", WINDOW,
        "audience.ingestion.workers", 1,
        "audience.ingestion.chunk-timeout", "1h"));
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
    runs = new InMemoryRuns();
  }

  private IngestionRun.Dependencies deps() {
    FileListing listing = (spec, startAfter, maxKeys) -> {
      pagesListed.incrementAndGet();
      List<FileRef> files = keys.tailSet(startAfter, false).stream().limit(maxKeys + 1)
          .map(k -> new FileRef(k, 1)).toList();
      boolean more = files.size() > maxKeys;
      return CompletableFuture.completedFuture(new FileListing.Page(more ? files.subList(0, maxKeys) : files, more));
    };
    IngestionPeers peers = new IngestionPeers(id -> { throw new AssertionError("the run does not write to itself"); },
        id -> workers.getRef(), id -> tracker.getRef());
    return new IngestionRun.Dependencies(peers, listing, runs, settings.ingestion(), Clock.systemUTC());
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
    assertThat(start(run, id).created()).as("a second start is not a second run").isFalse();
    journal.expectNextPersistedClass(pid(id), IngestionRun.RunStarted.class);

    FileWorker.ProcessChunk first = (FileWorker.ProcessChunk) workers.receiveMessage(TIMEOUT);
    FileWorker.ProcessChunk second = (FileWorker.ProcessChunk) workers.receiveMessage(TIMEOUT);
    assertThat(List.of(first.chunkIndex(), second.chunkIndex())).containsExactly(0L, 1L);
    assertThat(first.files()).extracting(FileRef::key)
        .containsExactly("p/f-00.json", "p/f-01.json", "p/f-02.json", "p/f-03.json");
    workers.expectNoMessage(Duration.ofMillis(300)); // the window (2) is full
    assertThat(runs.phase(id)).isEqualTo(RunPhase.RUNNING);
  }

  @Test
  void countedChunksAreCommittedInOrderAndARestartResumesAfterTheOffset() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = spawn(id);
    start(run, id);
    journal.expectNextPersistedClass(pid(id), IngestionRun.RunStarted.class);
    workers.receiveMessage(TIMEOUT);
    workers.receiveMessage(TIMEOUT);

    run.tell(new IngestionRun.ChunkSettled(1, 1, 4, 0, java.time.Instant.now()));
    assertThat(((CompletionTracker.RecordChunk) tracker.receiveMessage(TIMEOUT)).chunkIndex()).isEqualTo(1);
    run.tell(new IngestionRun.ChunkCounted(1, false));
    journal.expectNothingPersisted(pid(id)); // chunk 0 is still out
    run.tell(new IngestionRun.ChunkSettled(0, 1, 3, 1, java.time.Instant.now()));
    assertThat(((CompletionTracker.RecordChunk) tracker.receiveMessage(TIMEOUT)).chunkIndex()).isEqualTo(0);
    run.tell(new IngestionRun.ChunkCounted(0, false));
    journal.expectNextPersisted(pid(id), new IngestionRun.ChunksCommitted("p/f-07.json", 2, 8));

    // the last, partial chunk goes out and closes the listing; then the entity dies
    FileWorker.ProcessChunk last = (FileWorker.ProcessChunk) workers.receiveMessage(TIMEOUT);
    assertThat(last.chunkIndex()).isEqualTo(2);
    assertThat(last.files()).hasSize(2);
    journal.expectNextPersisted(pid(id), new IngestionRun.ListingFinished(3, 10));
    assertThat(((CompletionTracker.CloseListing) tracker.receiveMessage(TIMEOUT)).totalFiles()).isEqualTo(10);
    testKit.stop(run);

    ActorRef<IngestionRun.Command> again = spawn(id);
    FileWorker.ProcessChunk redone = (FileWorker.ProcessChunk) workers.receiveMessage(TIMEOUT);
    assertThat(redone.chunkIndex()).as("only the uncommitted chunk is redone").isEqualTo(2);
    assertThat(redone.files()).extracting(FileRef::key).containsExactly("p/f-08.json", "p/f-09.json");
    assertThat(((CompletionTracker.CloseListing) tracker.receiveMessage(TIMEOUT)).totalChunks()).isEqualTo(3);
    again.tell(new IngestionRun.ChunkSettled(2, 1, 2, 0, java.time.Instant.now()));
    assertThat(((CompletionTracker.RecordChunk) tracker.receiveMessage(TIMEOUT)).chunkIndex()).isEqualTo(2);
    again.tell(new IngestionRun.ChunkCounted(2, true));
    journal.expectNextPersisted(pid(id), new IngestionRun.ChunksCommitted("p/f-09.json", 3, 2));
    journal.expectNextPersistedClass(pid(id), IngestionRun.PhaseChanged.class);
    assertThat(control(again, IngestionRun.Resume::new).getError().getMessage()).contains("is completed");
  }

  @Test
  void pauseHoldsDispatchResumeGoesOnAndCancelEndsTheRun() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = spawn(id);
    start(run, id);
    workers.receiveMessage(TIMEOUT);
    workers.receiveMessage(TIMEOUT);
    assertThat(control(run, IngestionRun.Pause::new).getValue().phase()).isEqualTo(RunPhase.PAUSED);
    run.tell(new IngestionRun.ChunkSettled(0, 1, 4, 0, java.time.Instant.now()));
    tracker.receiveMessage(TIMEOUT);
    run.tell(new IngestionRun.ChunkCounted(0, false));
    workers.expectNoMessage(Duration.ofMillis(300)); // paused: the freed place is not used
    assertThat(control(run, IngestionRun.Resume::new).getValue().phase()).isEqualTo(RunPhase.RUNNING);
    assertThat(((FileWorker.ProcessChunk) workers.receiveMessage(TIMEOUT)).chunkIndex()).isEqualTo(2);

    assertThat(control(run, IngestionRun.Cancel::new).getValue().phase()).isEqualTo(RunPhase.CANCELLED);
    run.tell(new IngestionRun.ChunkCounted(1, false));
    workers.expectNoMessage(Duration.ofMillis(300));
    assertThat(control(run, IngestionRun.Pause::new).getError().getMessage()).contains("is cancelled");
    assertThat(runs.phase(id)).isEqualTo(RunPhase.CANCELLED);
  }

  @Test
  void aFailedChunkIsDispatchedAgainAsItsNextAttemptAndStaleFailuresAreIgnored() {
    String id = newRunId();
    ActorRef<IngestionRun.Command> run = spawn(id);
    start(run, id);
    workers.receiveMessage(TIMEOUT);
    workers.receiveMessage(TIMEOUT);
    run.tell(new IngestionRun.ChunkFailed(0, 1, "DynamoDB down"));
    FileWorker.ProcessChunk retried = (FileWorker.ProcessChunk) workers.receiveMessage(TIMEOUT);
    assertThat(retried.chunkIndex()).isEqualTo(0);
    assertThat(retried.attempt()).isEqualTo(2);
    run.tell(new IngestionRun.ChunkFailed(0, 1, "late answer of attempt 1"));
    workers.expectNoMessage(Duration.ofMillis(300));
  }
}
