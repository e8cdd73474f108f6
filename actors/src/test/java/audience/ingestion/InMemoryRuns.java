package audience.ingestion;

import audience.store.RunPhase;
import audience.store.RunReadModel;
import audience.store.RunStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runs read model in memory, with the DynamoDB table's rule (a part is replaced only by a higher version), for
 * the entity tests that run without emulators. It also remembers whether a part ever tried to move backwards.
 */
final class InMemoryRuns implements RunReadModel {
  private record Versioned<T>(T part, long version) {}

  private final Map<String, Versioned<RunStore.RunPart>> runParts = new ConcurrentHashMap<>();
  private final Map<String, Versioned<RunStore.TallyPart>> tallyParts = new ConcurrentHashMap<>();
  private final Map<String, String> redriveOf = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<Void> write(RunStore.RunPart run, long version) {
    runParts.merge(run.runId(), new Versioned<>(run, version), (old, now) -> now.version() > old.version() ? now : old);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> write(RunStore.TallyPart tally, long version) {
    tallyParts.merge(tally.runId(), new Versioned<>(tally, version),
        (old, now) -> now.version() > old.version() ? now : old);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> linkRedrive(String runId, String original) {
    redriveOf.put(runId, original);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<List<RunStore.Row>> list() {
    List<RunStore.Row> rows = new ArrayList<>();
    runParts.forEach((id, run) -> {
      Versioned<RunStore.TallyPart> tally = tallyParts.get(id);
      rows.add(new RunStore.Row(run.part(), tally != null ? tally.part()
          : new RunStore.TallyPart(id, 0, 0, 0, false, "", null, false), Instant.EPOCH,
          redriveOf.getOrDefault(id, "")));
    });
    rows.sort(Comparator.comparing((RunStore.Row r) -> r.run().startedAt()).reversed());
    return CompletableFuture.completedFuture(rows);
  }

  RunPhase phase(String runId) {
    return list().toCompletableFuture().join().stream().filter(r -> r.run().runId().equals(runId))
        .map(RunStore.Row::phase).findFirst().orElse(RunPhase.NEW);
  }
}
