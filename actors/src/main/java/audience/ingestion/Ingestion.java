package audience.ingestion;

import audience.config.Settings.IngestionSettings;
import audience.store.RunPhase;
import audience.store.RunReadModel;
import audience.store.RunStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The ingestion feature: {@link #init} starts its entities on a node, and the instance it returns is what the HTTP
 * routes, the trigger listener and the CLI do with runs: start, steer and watch them.
 */
public final class Ingestion {
  private static final Logger log = LoggerFactory.getLogger(Ingestion.class);
  /** Redrives one run may have; beyond, redrive the last redrive run (its quarantine is what is still bad). */
  static final int MAX_REDRIVES = 100;
  static final String ORIGIN_REDRIVE = "redrive";
  private final ClusterSharding sharding;
  private final SourcePolicy sources;
  private final BucketCheck buckets;
  private final RunReadModel runs;
  private final Duration askTimeout;
  private final Clock clock;
  private final ActorRef<CompletionTracker.Tally> ignoreTally;

  /**
   * What the ingestion entities need, built outside the actor system: how runs list their files and workers settle
   * chunks, whether a bucket exists, the runs read model, where the done event goes, the meters it records.
   */
  public record Dependencies(BucketCheck buckets, FileListing listing, FileWorker.ChunkHandler chunks,
                             RunReadModel runs, DoneNotifier notifier, StallNotifier stallNotifier,
                             ActorRef<Topic.Command<IngestionDone>> doneTopic, IngestionSettings settings,
                             Clock clock, IngestionMetrics metrics) {}

  /** Registers the pool of file workers, the completion trackers and the run entities on this node. */
  public static Ingestion init(ActorSystem<?> system, Dependencies deps) {
    IngestionSettings settings = deps.settings();
    IngestionPeers peers = IngestionPeers.sharded(system);
    FileWorker.init(system, peers, deps.metrics().timed(deps.chunks()));
    CompletionTracker.init(system, new CompletionTracker.Dependencies(peers, deps.runs(), deps.notifier(),
        deps.doneTopic(), deps.clock(), settings, deps.metrics()));
    IngestionRun.init(system, new IngestionRun.Dependencies(peers, deps.listing(), deps.runs(), deps.stallNotifier(),
        settings, deps.clock(), deps.metrics()));
    SourcePolicy sources = new SourcePolicy(settings.allowedSources());
    if (sources.allowsNothing()) {
      log.warn("audience.ingestion.allowed-sources is empty: every trigger and /ops run will be refused");
    }
    return new Ingestion(system, sources, deps.buckets(), deps.runs(), settings.askTimeout(), deps.clock());
  }

  private Ingestion(ActorSystem<?> system, SourcePolicy sources, BucketCheck buckets, RunReadModel runs,
                    Duration askTimeout, Clock clock) {
    this.sharding = ClusterSharding.get(system);
    this.sources = sources;
    this.ignoreTally = system.ignoreRef();
    this.buckets = buckets;
    this.runs = runs;
    this.askTimeout = askTimeout;
    this.clock = clock;
  }

  /**
   * Starts the run (or answers that it already is). A source the service does not own ({@link SourcePolicy}) and a
   * bucket that does not exist are refused with IllegalArgumentException before any run is created, rather than
   * ingested or left listing forever.
   */
  public CompletionStage<IngestionRun.Started> start(RunSpec spec) {
    if (sources.check(spec.bucket(), spec.prefix()) instanceof SourcePolicy.Refused refused) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(refused.reason()));
    }
    return buckets.requireExists(spec.bucket())
        .thenCompose(ok -> run(spec.runId()).askWithStatus(reply -> new IngestionRun.Start(spec, reply), askTimeout));
  }

  /** What a redrive request got: the redrive run, whether this request started it, and the run it redrives. */
  public record Redrive(String runId, boolean created, String redriveOf, long expectedFiles) {}

  /**
   * Re-ingests the files run {@code runId} quarantined (after their sources were fixed): a new run over exactly
   * those keys, linked to the first ({@link RunSpec#redriveOf}), expecting as many files as were quarantined. Its
   * id is the first of {@code <runId>-r1}, {@code -r2}, ... that has not ended: a request while a redrive runs
   * answers that run ({@code created = false}) instead of starting another, and two requests at once start one.
   * Refused with {@link RunConflict} while the run has not ended or when it quarantined nothing.
   */
  public CompletionStage<Redrive> redrive(String runId) {
    return require(runId).thenCompose(original -> {
      if (!original.done()) {
        throw new RunConflict("run " + runId + " is " + original.state().wire()
            + "; it can be redriven once it has ended");
      }
      if (original.quarantined() == 0) {
        throw new RunConflict("run " + runId + " quarantined no file; there is nothing to redrive");
      }
      return redrive(original, 1);
    });
  }

  private CompletionStage<Redrive> redrive(IngestionStatus original, int n) {
    if (n > MAX_REDRIVES) {
      throw new RunConflict("run " + original.runId() + " was redriven " + MAX_REDRIVES
          + " times; redrive its last redrive run instead");
    }
    String id = RunIds.forRedrive(original.runId(), n);
    return status(id).thenCompose(existing -> {
      if (existing.isPresent() && existing.get().done()) return redrive(original, n + 1);
      if (existing.isPresent()) return linked(id, original.runId(), false, existing.get().expectedFiles());
      RunSpec spec = new RunSpec(id, original.bucket(), original.prefix(), original.quarantined(), ORIGIN_REDRIVE,
          original.runId());
      return start(spec).thenCompose(started -> linked(id, original.runId(), started.created(), spec.expectedFiles()));
    });
  }

  /** The link is written (again: idempotent) on every answer, so a request repeated after a crash repairs it. */
  private CompletionStage<Redrive> linked(String id, String original, boolean created, long expectedFiles) {
    return runs.linkRedrive(id, original).thenApply(v -> new Redrive(id, created, original, expectedFiles));
  }

  public CompletionStage<IngestionRun.View> pause(String runId) {
    return run(runId).askWithStatus(IngestionRun.Pause::new, askTimeout);
  }

  public CompletionStage<IngestionRun.View> resume(String runId) {
    return run(runId).askWithStatus(IngestionRun.Resume::new, askTimeout);
  }

  public CompletionStage<IngestionRun.View> cancel(String runId) {
    return run(runId).askWithStatus(IngestionRun.Cancel::new, askTimeout);
  }

  /** The run's live status, or empty when no run has that id. */
  public CompletionStage<Optional<IngestionStatus>> status(String runId) {
    CompletableFuture<IngestionRun.View> view =
        run(runId).ask(IngestionRun.GetStatus::new, askTimeout).toCompletableFuture();
    return view.thenCompose(v -> {
      if (v.spec() == null) return CompletableFuture.completedFuture(Optional.empty());
      return sharding.entityRefFor(CompletionTracker.TYPE_KEY, runId)
          .ask(CompletionTracker.GetTally::new, askTimeout)
          .thenApply(p -> Optional.of(IngestionStatus.of(v, p, clock.instant())));
    });
  }

  /** Like {@link #status} but fails with NoSuchElementException for an unknown run. */
  public CompletionStage<IngestionStatus> require(String runId) {
    return status(runId).thenApply(s -> s.orElseThrow(() -> new NoSuchElementException("no run " + runId)));
  }

  /** One line of the runs listing, from the read model (at most {@code read-model-interval} behind). */
  public record RunSummary(String runId, RunPhase state, String bucket, String prefix, long expectedFiles, long listed,
                           long ingested, long quarantined, String warning, Instant startedAt, Instant completedAt,
                           Instant updatedAt, String stallReason, String redriveOf) {
    static RunSummary of(RunStore.Row row) {
      var c = row.run();
      var p = row.tally();
      return new RunSummary(c.runId(), row.phase(), c.bucket(),
          c.prefix(), c.expectedFiles(), c.listed(), p.ingested(), p.quarantined(), p.warning(), c.startedAt(),
          p.completed() ? p.completedAt() : null, row.updatedAt(),
          row.phase() == RunPhase.STALLED ? c.stallReason() : "", row.redriveOf().isEmpty() ? null : row.redriveOf());
    }
  }

  /** The runs the read model does not show as ended: what a node wakes after a restart, and periodically. */
  public CompletionStage<List<String>> unfinished() {
    return runs.unfinished().thenApply(rows -> rows.stream().map(r -> r.run().runId()).toList());
  }

  /**
   * Wakes a run: its entity recovers (on whichever node owns it now) and resumes after its committed offset; its
   * tracker too, which republishes a done event not yet confirmed sent.
   */
  public void wake(String runId) {
    run(runId).tell(new IngestionRun.Wake());
    sharding.entityRefFor(CompletionTracker.TYPE_KEY, runId).tell(new CompletionTracker.GetTally(ignoreTally));
  }

  /** Every run from the read model, newest first. */
  public CompletionStage<List<RunSummary>> list() {
    return runs.list().thenApply(rows -> rows.stream().map(RunSummary::of).toList());
  }

  private EntityRef<IngestionRun.Command> run(String runId) {
    if (!runId.matches(RunIds.PATTERN)) throw new IllegalArgumentException("not a run id: " + runId);
    return sharding.entityRefFor(IngestionRun.TYPE_KEY, runId);
  }
}
