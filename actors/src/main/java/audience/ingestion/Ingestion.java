package audience.ingestion;

import audience.store.Retrying;
import audience.store.RunStore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** What the HTTP routes, the trigger listener and the CLI do with runs: start, steer and watch them. */
public final class Ingestion {
  private static final int HTTP_NOT_FOUND = 404;
  private final ClusterSharding sharding;
  private final S3AsyncClient s3;
  private final RunStore runs;
  private final Duration askTimeout;
  private final Clock clock;

  public Ingestion(ActorSystem<?> system, S3AsyncClient s3, RunStore runs, Duration askTimeout, Clock clock) {
    this.sharding = ClusterSharding.get(system);
    this.s3 = s3;
    this.runs = runs;
    this.askTimeout = askTimeout;
    this.clock = clock;
  }

  /**
   * Starts the run (or answers that it already is). A bucket that does not exist is refused with
   * IllegalArgumentException before any run is created, rather than left listing forever.
   */
  public CompletionStage<IngestionSupervisor.Started> start(RunSpec spec) {
    return s3.headBucket(b -> b.bucket(spec.bucket()))
        .handle((ok, error) -> {
          Throwable cause = error == null ? null : Retrying.unwrap(error);
          if (cause instanceof NoSuchBucketException
              || (cause instanceof S3Exception e && e.statusCode() == HTTP_NOT_FOUND)) {
            throw new IllegalArgumentException("bucket " + spec.bucket() + " does not exist");
          }
          return spec; // other errors (throttling, permissions on HeadBucket) are left to the listing's retries
        })
        .thenCompose(s -> run(s.runId()).askWithStatus(reply -> new IngestionSupervisor.Start(s, reply), askTimeout));
  }

  public CompletionStage<IngestionSupervisor.View> pause(String runId) {
    return run(runId).askWithStatus(IngestionSupervisor.Pause::new, askTimeout);
  }

  public CompletionStage<IngestionSupervisor.View> resume(String runId) {
    return run(runId).askWithStatus(IngestionSupervisor.Resume::new, askTimeout);
  }

  public CompletionStage<IngestionSupervisor.View> cancel(String runId) {
    return run(runId).askWithStatus(IngestionSupervisor.Cancel::new, askTimeout);
  }

  /** The run's live status, or empty when no run has that id. */
  public CompletionStage<Optional<IngestionStatus>> status(String runId) {
    CompletableFuture<IngestionSupervisor.View> view =
        run(runId).ask(IngestionSupervisor.GetStatus::new, askTimeout).toCompletableFuture();
    return view.thenCompose(v -> {
      if (v.spec() == null) return CompletableFuture.completedFuture(Optional.empty());
      return sharding.entityRefFor(CompletionTracker.TYPE_KEY, runId)
          .ask(CompletionTracker.GetProgress::new, askTimeout)
          .thenApply(p -> Optional.of(IngestionStatus.of(v, p, clock.instant())));
    });
  }

  /** Like {@link #status} but fails with NoSuchElementException for an unknown run. */
  public CompletionStage<IngestionStatus> require(String runId) {
    return status(runId).thenApply(s -> s.orElseThrow(() -> new NoSuchElementException("no run " + runId)));
  }

  /** One line of the runs listing, from the read model (at most {@code read-model-interval} behind). */
  public record RunSummary(String runId, String state, String bucket, String prefix, long expectedFiles, long listed,
                           long ingested, long quarantined, String warning, Instant startedAt, Instant completedAt,
                           Instant updatedAt) {
    static RunSummary of(RunStore.Row row) {
      var c = row.control();
      var p = row.progress();
      return new RunSummary(c.runId(), p.completed() ? "completed" : c.control().toLowerCase(), c.bucket(),
          c.prefix(), c.expectedFiles(), c.listed(), p.ingested(), p.quarantined(), p.warning(), c.startedAt(),
          p.completed() ? p.completedAt() : null, row.updatedAt());
    }
  }

  /** Every run from the read model, newest first. */
  public CompletionStage<List<RunSummary>> list() {
    return runs.list().thenApply(rows -> rows.stream().map(RunSummary::of).toList());
  }

  private EntityRef<IngestionSupervisor.Command> run(String runId) {
    if (!runId.matches(RunIds.PATTERN)) throw new IllegalArgumentException("not a run id: " + runId);
    return sharding.entityRefFor(IngestionSupervisor.TYPE_KEY, runId);
  }
}
