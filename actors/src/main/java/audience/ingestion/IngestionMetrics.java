package audience.ingestion;

import audience.store.RunPhase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ingestion feature's meters, their names in one place (docs/operations.md, "Metrics"). Counted where the effect
 * is final: files when their chunk is committed by the run (a chunk redone after a failure counts once), pages when
 * the run receives them. No run id or file key is a tag: the run gauges count the runs whose entity is on this node.
 */
public final class IngestionMetrics {
  public static final String FILES_LISTED = "audience.ingestion.files.listed";
  public static final String FILES_INGESTED = "audience.ingestion.files.ingested";
  public static final String FILES_QUARANTINED = "audience.ingestion.files.quarantined";
  public static final String CHUNK = "audience.ingestion.chunk";
  public static final String RUNS_ACTIVE = "audience.ingestion.runs.active";
  public static final String RUNS_STALLED = "audience.ingestion.runs.stalled";
  public static final String RUNS_COMPLETED = "audience.ingestion.runs.completed";
  static final String OUTCOME = "outcome";
  static final String SETTLED = "settled";
  static final String FAILED = "failed";

  private final Counter listed;
  private final Counter ingested;
  private final Counter quarantined;
  private final Counter completed;
  private final Timer chunkSettled;
  private final Timer chunkFailed;
  /** The phase of each run whose entity is on this node (removed when it stops or ends). */
  private final Map<String, RunPhase> phases = new ConcurrentHashMap<>();

  public IngestionMetrics(MeterRegistry registry) {
    this.listed = Counter.builder(FILES_LISTED).description("Files listed by runs (a restarted run lists again "
        + "from its committed offset)").register(registry);
    this.ingested = Counter.builder(FILES_INGESTED).description("Files stored in the member store, counted when "
        + "their chunk is committed").register(registry);
    this.quarantined = Counter.builder(FILES_QUARANTINED).description("Files quarantined, counted when their chunk "
        + "is committed").register(registry);
    this.completed = Counter.builder(RUNS_COMPLETED).description("Runs completed (done event recorded)")
        .register(registry);
    this.chunkSettled = chunkTimer(registry, SETTLED);
    this.chunkFailed = chunkTimer(registry, FAILED);
    Gauge.builder(RUNS_ACTIVE, phases, p -> count(p, true)).description("Runs running, paused or stalled whose "
        + "entity is on this node").register(registry);
    Gauge.builder(RUNS_STALLED, phases, p -> count(p, false)).description("Stalled runs whose entity is on this node")
        .register(registry);
  }

  /** Meters kept in a registry of their own: for tests that build the feature's dependencies. */
  public static IngestionMetrics unregistered() {
    return new IngestionMetrics(new SimpleMeterRegistry());
  }

  private static Timer chunkTimer(MeterRegistry registry, String outcome) {
    return Timer.builder(CHUNK).description("Time a file worker takes to settle (or fail) one chunk")
        .tag(OUTCOME, outcome).publishPercentileHistogram().register(registry);
  }

  private static double count(Map<String, RunPhase> phases, boolean active) {
    return phases.values().stream().filter(p -> active ? p.active() : p == RunPhase.STALLED).count();
  }

  /** A page of the listing reached its run. */
  void listed(int files) {
    listed.increment(files);
  }

  /** Chunks were committed, adding these files. */
  void committed(long ingestedFiles, long quarantinedFiles) {
    ingested.increment(ingestedFiles);
    quarantined.increment(quarantinedFiles);
  }

  void runCompleted() {
    completed.increment();
  }

  /** Where run {@code runId} is now; an ended run is forgotten. */
  void phase(String runId, RunPhase phase) {
    if (phase.active()) phases.put(runId, phase);
    else phases.remove(runId);
  }

  /** The run's entity stopped on this node (passivated, moved, or the node is stopping). */
  void stopped(String runId) {
    phases.remove(runId);
  }

  /** {@code handler}, each chunk timed from its start to its outcome. */
  FileWorker.ChunkHandler timed(FileWorker.ChunkHandler handler) {
    return chunk -> {
      Timer.Sample sample = Timer.start();
      CompletionStage<ChunkProcessor.Outcome> outcome;
      try {
        outcome = handler.process(chunk);
      } catch (RuntimeException e) {
        sample.stop(chunkFailed);
        throw e;
      }
      return outcome.whenComplete((o, error) -> sample.stop(error == null ? chunkSettled : chunkFailed));
    };
  }
}
