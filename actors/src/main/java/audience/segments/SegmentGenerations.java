package audience.segments;

import audience.config.Settings.SegmentSettings;
import audience.ingestion.IngestionDone;
import audience.store.SegmentStore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The segments feature: {@link #init} starts the generator entities on a node and wakes unfinished generations
 * periodically; the instance it returns is what the done event, the HTTP routes and the CLI use: generate a run's
 * segments, generate them again, watch a generation, list its segments.
 */
public final class SegmentGenerations {
  private static final Logger log = LoggerFactory.getLogger(SegmentGenerations.class);
  private final ClusterSharding sharding;
  private final SegmentStore store;
  private final ManifestStore manifests;
  private final Duration askTimeout;

  private SegmentGenerations(ClusterSharding sharding, SegmentStore store, ManifestStore manifests,
                             Duration askTimeout) {
    this.sharding = sharding;
    this.store = store;
    this.manifests = manifests;
    this.askTimeout = askTimeout;
  }

  /** Registers the generator entities on this node and schedules the wake of unfinished generations. */
  public static SegmentGenerations init(ActorSystem<?> system, SegmentGenerator.Dependencies deps) {
    SegmentGenerator.init(system, deps);
    SegmentSettings settings = deps.settings();
    SegmentGenerations generations = new SegmentGenerations(ClusterSharding.get(system), deps.store(),
        deps.manifests(), settings.generator().askTimeout());
    system.scheduler().scheduleAtFixedRate(settings.generator().wakeInterval(), settings.generator().wakeInterval(),
        generations::wakeUnfinished, system.executionContext());
    return generations;
  }

  /** The run is done: its generation is requested (idempotent); answers once the request is persisted. */
  public CompletionStage<SegmentGenerator.View> generate(IngestionDone done) {
    return generator(done.runId()).askWithStatus(r -> new SegmentGenerator.Generate(done, r), askTimeout);
  }

  /** Generates the run's segments again (same generation id), e.g. after members were erased. */
  public CompletionStage<SegmentGenerator.View> regenerate(String runId) {
    return generator(runId).askWithStatus(SegmentGenerator.Regenerate::new, askTimeout);
  }

  /** The run's generation as it stands, or empty when it has none. */
  public CompletionStage<Optional<SegmentGenerator.View>> status(String runId) {
    return generator(runId).ask(SegmentGenerator.GetStatus::new, askTimeout)
        .thenApply(v -> v.runId() == null ? Optional.empty() : Optional.of(v));
  }

  /** The generation of the latest manifest, if any. */
  public CompletionStage<Optional<Manifest>> latest() {
    return manifests.latest();
  }

  /** Every generation, newest first. */
  public CompletionStage<List<SegmentStore.GenerationRow>> generations() {
    return store.generations();
  }

  /**
   * A generation's segments that {@code filter} keeps: the run's ({@code runId} given) or the latest manifest's;
   * NoSuchElementException when there is none.
   */
  public CompletionStage<Listing> list(Optional<String> runId, SegmentStore.Filter filter) {
    CompletionStage<String> generation = runId.<CompletionStage<String>>map(id ->
            CompletableFuture.completedFuture(GenerationId.of(id).value()))
        .orElseGet(() -> manifests.latest().thenApply(m -> m.map(Manifest::generationId).orElseThrow(() ->
            new NoSuchElementException("no segments yet: no generation has written its manifest"))));
    return generation.thenCompose(g -> store.list(g, filter).thenApply(rows -> new Listing(g, rows)));
  }

  /** One generation's segments. */
  public record Listing(String generationId, List<SegmentStore.SegmentRow> segments) {
    public Listing {
      segments = List.copyOf(segments); // shared by the API's readers (ReadCache)
    }
  }

  private void wakeUnfinished() {
    store.generations().whenComplete((rows, error) -> {
      if (error != null) {
        log.warn("could not read unfinished segment generations: {}", error.toString());
        return;
      }
      rows.stream().filter(r -> !r.completed())
          .forEach(r -> generator(r.runId()).tell(new SegmentGenerator.Wake()));
    });
  }

  private EntityRef<SegmentGenerator.Command> generator(String runId) {
    return sharding.entityRefFor(SegmentGenerator.TYPE_KEY, runId);
  }
}
