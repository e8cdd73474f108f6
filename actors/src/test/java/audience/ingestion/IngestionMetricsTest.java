package audience.ingestion;

import audience.store.RunPhase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IngestionMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final IngestionMetrics metrics = new IngestionMetrics(registry);

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  @Test
  void runGaugesFollowEachRunsPhaseAndForgetEndedAndStoppedRuns() {
    metrics.phase("a", RunPhase.RUNNING);
    metrics.phase("b", RunPhase.STALLED);
    metrics.phase("c", RunPhase.PAUSED);
    assertThat(gauge(IngestionMetrics.RUNS_ACTIVE)).isEqualTo(3);
    assertThat(gauge(IngestionMetrics.RUNS_STALLED)).isEqualTo(1);
    metrics.phase("b", RunPhase.RUNNING);
    assertThat(gauge(IngestionMetrics.RUNS_STALLED)).isZero();
    metrics.phase("a", RunPhase.COMPLETED);
    metrics.stopped("c");
    assertThat(gauge(IngestionMetrics.RUNS_ACTIVE)).isEqualTo(1);
  }

  @Test
  void committedFilesAreCounted() {
    metrics.committed(40, 2);
    metrics.committed(8, 0);
    metrics.listed(50);
    assertThat(registry.get(IngestionMetrics.FILES_INGESTED).counter().count()).isEqualTo(48);
    assertThat(registry.get(IngestionMetrics.FILES_QUARANTINED).counter().count()).isEqualTo(2);
    assertThat(registry.get(IngestionMetrics.FILES_LISTED).counter().count()).isEqualTo(50);
  }

  @Test
  void chunksAreTimedByOutcome() {
    FileWorker.ProcessChunk chunk = new FileWorker.ProcessChunk("r", "b", 0, 1, 1, List.of(new FileRef("k", 1)));
    metrics.timed(c -> CompletableFuture.completedFuture(new ChunkProcessor.Outcome(1, 0))).process(chunk);
    metrics.timed(c -> CompletableFuture.failedFuture(new IllegalStateException("down"))).process(chunk);
    FileWorker.ChunkHandler throwing = c -> {
      throw new IllegalStateException("broken");
    };
    assertThatThrownBy(() -> metrics.timed(throwing).process(chunk)).isInstanceOf(IllegalStateException.class);
    assertThat(registry.get(IngestionMetrics.CHUNK).tag("outcome", "settled").timer().count()).isEqualTo(1);
    assertThat(registry.get(IngestionMetrics.CHUNK).tag("outcome", "failed").timer().count()).isEqualTo(2);
  }
}
