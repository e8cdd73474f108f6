package audience.ingestion;

import audience.config.Settings;
import audience.store.RunPhase;
import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.assertj.core.api.ThrowableAssertAlternative;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The run, worker and tracker protocols through the feature's own init, without emulators: the listing is a sorted
 * set of keys in memory, the journal Pekko's in-memory test journal, the read model a map, and each run settles its
 * chunks with a handler of the test's. A worker that dies mid-chunk, a failing chunk, pause and resume.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngestionProtocolTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final int CHUNK = 10;
  private static final String BUCKET = "raw";

  private ActorTestKit testKit;
  private final Map<String, FileWorker.ChunkHandler> handlers = new ConcurrentHashMap<>();
  private final ConcurrentSkipListSet<String> keys = new ConcurrentSkipListSet<>();
  private final InMemoryRuns runs = new InMemoryRuns();
  private ActorRef<Topic.Command<IngestionDone>> topic;
  private Ingestion ingestion;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  /** Keys each run quarantined (what the quarantine table holds in the service), by run id. */
  private final Map<String, ConcurrentSkipListSet<String>> quarantined = new ConcurrentHashMap<>();

  /**
   * The listing's contract over an in-memory bucket: keys in order after startAfter, a page at a time; for a redrive,
   * the keys its original run quarantined.
   */
  private CompletionStage<FileListing.Page> page(RunSpec spec, String startAfter, int maxKeys) {
    NavigableSet<String> source = spec.redriveOf() == null ? keys
        : quarantined.getOrDefault(spec.redriveOf(), new ConcurrentSkipListSet<>());
    List<FileRef> files = source.tailSet(startAfter, false).stream().filter(k -> k.startsWith(spec.prefix()))
        .limit(maxKeys + 1).map(k -> new FileRef(k, 2)).toList();
    boolean more = files.size() > maxKeys;
    return CompletableFuture.completedFuture(new FileListing.Page(more ? files.subList(0, maxKeys) : files, more));
  }

  @BeforeAll
  void start() {
    Settings settings = Settings.load(Map.of(
        "audience.resources.raw-bucket", BUCKET, // the one allowed source by default
        "audience.ingestion.chunk-size", CHUNK,
        "audience.ingestion.list-page-size", 25,
        "audience.ingestion.max-chunks-in-flight", 3,
        "audience.ingestion.workers", 2,
        "audience.ingestion.chunk-timeout", "2s",
        "audience.ingestion.retry.min-backoff", "10ms",
        "audience.ingestion.retry.max-backoff", "100ms",
        "audience.ingestion.resend-interval", "200ms"));
    testKit = ActorTestKit.create("protocol", PersistenceTestKitPlugin.getInstance().config()
        .withFallback(ConfigFactory.parseString("pekko.persistence.snapshot-store.plugin = \"\""))
        .withFallback(settings.config()));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    topic = testKit.spawn(Topic.create(IngestionDone.class, IngestionDone.TOPIC));
    // Each run picks its handler by run id, so tests don't share behaviour.
    ingestion = Ingestion.init(testKit.system(), new Ingestion.Dependencies(
        bucket -> CompletableFuture.completedFuture(null), this::page,
        chunk -> handlers.get(chunk.runId()).process(chunk), runs,
        done -> CompletableFuture.completedFuture("none"), stalled -> CompletableFuture.completedFuture("none"), topic,
        settings.ingestion(), Clock.systemUTC(), new IngestionMetrics(meters)));
  }

  @AfterAll
  void stop() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  private void upload(String prefix, int files) {
    IntStream.range(0, files).forEach(i -> keys.add(prefix + String.format("f-%04d.json", i)));
  }

  private TestProbe<IngestionDone> subscribe() {
    TestProbe<IngestionDone> probe = testKit.createTestProbe();
    topic.tell(Topic.subscribe(probe.getRef()));
    return probe;
  }

  private RunSpec spec(String runId, String prefix) {
    return new RunSpec(runId, BUCKET, prefix, RunSpec.UNKNOWN, "test");
  }

  @Test
  void aWorkerThatDiesMidChunkLosesNothing() {
    upload("crash/", 95);
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    AtomicBoolean crashed = new AtomicBoolean();
    handlers.put("crash-run", chunk -> {
      chunk.files().forEach(f -> seen.merge(f.key(), 1, Integer::sum));
      if (chunk.files().get(0).key().equals("crash/f-0040.json") && crashed.compareAndSet(false, true)) {
        throw new IllegalStateException("worker dies mid-chunk"); // the worker actor fails and is restarted
      }
      return CompletableFuture.completedFuture(new ChunkProcessor.Outcome(chunk.files().size() - 1, 1));
    });
    TestProbe<IngestionDone> probe = subscribe();
    double ingestedBefore = count(IngestionMetrics.FILES_INGESTED);
    double quarantinedBefore = count(IngestionMetrics.FILES_QUARANTINED);
    double failedBefore = meters.get(IngestionMetrics.CHUNK).tag("outcome", "failed").timer().count();
    assertThat(ingestion.start(spec("crash-run", "crash/")).toCompletableFuture().join().created()).isTrue();

    IngestionDone done = fishDone(probe, "crash-run");
    assertThat(crashed).isTrue();
    assertThat(done.listed()).isEqualTo(95);
    assertThat(done.ingested() + done.quarantined()).isEqualTo(95);
    assertThat(done.quarantined()).isEqualTo(10); // one per chunk, each chunk counted once
    assertThat(seen).hasSize(95);
    assertThat(seen.get("crash/f-0040.json")).isEqualTo(2);
    assertThat(seen.get("crash/f-0000.json")).isEqualTo(1);
    // the meters count committed files: the chunk processed twice counts once, like the run's own figures
    assertThat(count(IngestionMetrics.FILES_INGESTED) - ingestedBefore).isEqualTo(done.ingested());
    assertThat(count(IngestionMetrics.FILES_QUARANTINED) - quarantinedBefore).isEqualTo(done.quarantined());
    assertThat(meters.get(IngestionMetrics.CHUNK).tag("outcome", "failed").timer().count() - failedBefore)
        .isEqualTo(1);
  }

  private double count(String counter) {
    return meters.get(counter).counter().count();
  }

  @Test
  void aFailingChunkIsRetriedUntilItSettles() {
    upload("flaky/", 30);
    AtomicBoolean failed = new AtomicBoolean();
    handlers.put("flaky-run", chunk -> failed.compareAndSet(false, true)
        ? CompletableFuture.failedFuture(new RuntimeException("DynamoDB down"))
        : CompletableFuture.completedFuture(new ChunkProcessor.Outcome(chunk.files().size(), 0)));
    TestProbe<IngestionDone> probe = subscribe();
    ingestion.start(spec("flaky-run", "flaky/")).toCompletableFuture().join();
    IngestionDone done = fishDone(probe, "flaky-run");
    assertThat(done.ingested()).isEqualTo(30);
  }

  @Test
  void pauseStopsDispatchAndResumeFinishesTheRun() throws Exception {
    upload("pause/", 60);
    CountDownLatch gate = new CountDownLatch(1);
    ConcurrentLinkedQueue<List<FileRef>> dispatched = new ConcurrentLinkedQueue<>();
    handlers.put("pause-run", chunk -> {
      dispatched.add(chunk.files());
      return CompletableFuture.supplyAsync(() -> {
        await(gate);
        return new ChunkProcessor.Outcome(chunk.files().size(), 0);
      });
    });
    TestProbe<IngestionDone> probe = subscribe();
    ingestion.start(spec("pause-run", "pause/")).toCompletableFuture().join();
    // The window (3 chunks) fills, then the run is paused while they are held.
    awaitCondition(() -> dispatched.size() == 3);
    var paused = ingestion.pause("pause-run").toCompletableFuture().join();
    assertThat(paused.phase()).isEqualTo(RunPhase.PAUSED);
    gate.countDown();
    awaitCondition(() -> ingestion.require("pause-run").toCompletableFuture().join().settled() == 30);
    assertThat(dispatched).hasSize(3);
    assertThat(ingestion.require("pause-run").toCompletableFuture().join().state()).isEqualTo(RunPhase.PAUSED);

    ingestion.resume("pause-run").toCompletableFuture().join();
    IngestionDone done = fishDone(probe, "pause-run");
    assertThat(done.ingested()).isEqualTo(60);
    assertThat(dispatched).hasSize(6);
    Set<String> keys = ConcurrentHashMap.newKeySet();
    dispatched.forEach(c -> c.forEach(f -> keys.add(f.key())));
    assertThat(keys).hasSize(60);
  }

  @Test
  void failedPersistsRestartTheEntitiesAndTheRunStillCompletesWithEveryFileOnce() {
    upload("pf/", 70);
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    handlers.put("pf-run", chunk -> {
      chunk.files().forEach(f -> seen.merge(f.key(), 1, Integer::sum));
      return CompletableFuture.completedFuture(new ChunkProcessor.Outcome(chunk.files().size(), 0));
    });
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    // the tracker's first write fails: it restarts, and the run's resends get the chunk counted after all
    journal.failNextPersisted("CompletionTracker|pf-run");
    TestProbe<IngestionDone> probe = subscribe();
    ingestion.start(spec("pf-run", "pf/")).toCompletableFuture().join();
    // the run's next write (a commit or the end of the listing) fails: it restarts and resumes from its journal
    journal.failNextPersisted("IngestionRun|pf-run");
    IngestionDone done = fishDone(probe, "pf-run");
    assertThat(done.listed()).isEqualTo(70);
    assertThat(done.ingested()).isEqualTo(70);
    assertThat(seen).hasSize(70);
  }

  @Test
  void controlOfAnUnknownRunIsRefusedWithAReason() {
    TestProbe<StatusReply<IngestionRun.View>> probe = testKit.createTestProbe();
    ClusterSharding.get(testKit.system()).entityRefFor(IngestionRun.TYPE_KEY, "never-started")
        .tell(new IngestionRun.Pause(probe.getRef()));
    StatusReply<IngestionRun.View> reply = probe.receiveMessage(TIMEOUT);
    assertThat(reply.isError()).isTrue();
    assertThat(reply.getError().getMessage()).contains("never started");
    assertThat(ingestion.status("never-started").toCompletableFuture().join()).isEmpty();
  }

  @Test
  void aRunOverASourceNotAllowedIsRefusedBeforeItExists() {
    failureOf(ingestion.start(new RunSpec("foreign-run", "someone-elses", "x/", RunSpec.UNKNOWN, "test")))
        .isInstanceOf(IllegalArgumentException.class)
        .withMessage("s3://someone-elses/x/ is not a source this service ingests: bucket someone-elses is not in "
            + "audience.ingestion.allowed-sources (allowed buckets: raw)");
    assertThat(ingestion.status("foreign-run").toCompletableFuture().join()).isEmpty();
  }

  @Test
  void aRedriveRunsOverExactlyTheQuarantinedKeysOnceAtATimeAndIsLinkedToItsRun() throws Exception {
    upload("redrive/", 30);
    CountDownLatch originalGate = new CountDownLatch(1);
    handlers.put("redrive-run", chunk -> CompletableFuture.supplyAsync(() -> {
      await(originalGate);
      List<String> bad = chunk.files().stream().map(FileRef::key).filter(k -> k.endsWith("3.json")).toList();
      quarantined.computeIfAbsent(chunk.runId(), r -> new ConcurrentSkipListSet<>()).addAll(bad);
      return new ChunkProcessor.Outcome(chunk.files().size() - bad.size(), bad.size());
    }));
    TestProbe<IngestionDone> probe = subscribe();
    ingestion.start(spec("redrive-run", "redrive/")).toCompletableFuture().join();
    failureOf(ingestion.redrive("redrive-run")).isInstanceOf(RunConflict.class)
        .withMessage("run redrive-run is running; it can be redriven once it has ended");
    originalGate.countDown();
    assertThat(fishDone(probe, "redrive-run").quarantined()).isEqualTo(3);

    CountDownLatch redriveGate = new CountDownLatch(1);
    ConcurrentLinkedQueue<String> redriven = new ConcurrentLinkedQueue<>();
    handlers.put("redrive-run-r1", chunk -> CompletableFuture.supplyAsync(() -> {
      await(redriveGate);
      chunk.files().forEach(f -> redriven.add(f.key()));
      return new ChunkProcessor.Outcome(chunk.files().size(), 0); // the sources were fixed
    }));
    Ingestion.Redrive first = ingestion.redrive("redrive-run").toCompletableFuture().join();
    assertThat(first).isEqualTo(new Ingestion.Redrive("redrive-run-r1", true, "redrive-run", 3));
    // asked again while it runs: the same run, not a second one
    assertThat(ingestion.redrive("redrive-run").toCompletableFuture().join())
        .isEqualTo(new Ingestion.Redrive("redrive-run-r1", false, "redrive-run", 3));
    assertThat(ingestion.require("redrive-run-r1").toCompletableFuture().join().redriveOf()).isEqualTo("redrive-run");
    redriveGate.countDown();

    IngestionDone done = fishDone(probe, "redrive-run-r1");
    assertThat(done.listed()).isEqualTo(3);
    assertThat(done.ingested()).isEqualTo(3);
    assertThat(done.warning()).isEmpty(); // as many as expected
    assertThat(redriven).containsExactlyInAnyOrder("redrive/f-0003.json", "redrive/f-0013.json", "redrive/f-0023.json");
    assertThat(ingestion.list().toCompletableFuture().join()).filteredOn(r -> r.runId().equals("redrive-run-r1"))
        .singleElement().extracting(Ingestion.RunSummary::redriveOf).isEqualTo("redrive-run");

    // once it has ended, the next redrive is a new run
    handlers.put("redrive-run-r2", chunk -> CompletableFuture.completedFuture(
        new ChunkProcessor.Outcome(chunk.files().size(), 0)));
    assertThat(ingestion.redrive("redrive-run").toCompletableFuture().join().runId()).isEqualTo("redrive-run-r2");
  }

  @Test
  void aRunThatQuarantinedNothingOrDoesNotExistIsNotRedriven() {
    upload("clean/", 5);
    handlers.put("clean-run", chunk -> CompletableFuture.completedFuture(
        new ChunkProcessor.Outcome(chunk.files().size(), 0)));
    TestProbe<IngestionDone> probe = subscribe();
    ingestion.start(spec("clean-run", "clean/")).toCompletableFuture().join();
    fishDone(probe, "clean-run");
    failureOf(ingestion.redrive("clean-run")).isInstanceOf(RunConflict.class)
        .withMessage("run clean-run quarantined no file; there is nothing to redrive");
    failureOf(ingestion.redrive("never-run")).isInstanceOf(java.util.NoSuchElementException.class)
        .withMessage("no run never-run");
  }

  /** What the stage failed with, to assert on. */
  private static ThrowableAssertAlternative<?> failureOf(CompletionStage<?> stage) {
    return assertThat(stage.toCompletableFuture()).failsWithin(TIMEOUT)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class).havingCause();
  }

  private static void await(CountDownLatch gate) {
    try {
      gate.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private IngestionDone fishDone(TestProbe<IngestionDone> probe, String runId) {
    return probe.fishForMessage(TIMEOUT, m -> m.runId().equals(runId)
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
  }

  private void awaitCondition(java.util.function.BooleanSupplier condition) {
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(TIMEOUT, () -> {
      assertThat(condition.getAsBoolean()).isTrue();
      return null;
    });
  }
}
