package audience.segments;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SegmentMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SegmentMetrics metrics = new SegmentMetrics(registry);

  @Test
  void eachShardHasItsLagUntilItIsReleased() {
    metrics.checkpointed("shardId-0", 10, 2_500);
    metrics.checkpointed("shardId-1", 5, 0);
    metrics.checkpointed("shardId-0", 3, -1); // unknown: the lag stays
    assertThat(registry.get(SegmentMetrics.RECORDS_CONSUMED).counter().count()).isEqualTo(18);
    assertThat(registry.get(SegmentMetrics.CHECKPOINT_LAG).tag("shard", "shardId-0").gauge().value()).isEqualTo(2.5);
    assertThat(registry.get(SegmentMetrics.CHECKPOINT_LAG).gauges()).hasSize(2);
    metrics.released("shardId-0");
    assertThat(registry.get(SegmentMetrics.CHECKPOINT_LAG).gauges()).hasSize(1);
    metrics.released("shardId-0"); // twice: harmless
    metrics.checkpointed("shardId-0", 1, 100);
    assertThat(registry.get(SegmentMetrics.CHECKPOINT_LAG).tag("shard", "shardId-0").gauge().value()).isEqualTo(0.1);
  }
}
