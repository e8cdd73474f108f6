package audience.segments;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The segments feature's meters, their names in one place (docs/operations.md, "Metrics"). The checkpoint lag has
 * the shard id as its tag (bounded by the stream's shard count); a shard's gauge goes when its consumer finishes the
 * shard or stops on this node.
 */
public final class SegmentMetrics {
  public static final String GENERATION = "audience.segments.generation";
  public static final String RECORDS_PUBLISHED = "audience.segments.records.published";
  public static final String RECORDS_CONSUMED = "audience.segments.records.consumed";
  public static final String CHECKPOINT_LAG = "audience.segments.checkpoint.lag";
  static final String SHARD = "shard";

  private final MeterRegistry registry;
  private final Timer generation;
  private final Counter published;
  private final Counter consumed;
  /** Milliseconds behind the stream's tip at each shard's last checkpoint, by shard id. */
  private final Map<String, AtomicLong> lags = new ConcurrentHashMap<>();
  private final Map<String, Gauge> lagGauges = new ConcurrentHashMap<>();

  public SegmentMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.generation = Timer.builder(GENERATION).description("Time from a generation's request to its manifest")
        .register(registry);
    this.published = Counter.builder(RECORDS_PUBLISHED).description("Segment records published to the segments "
        + "stream (a generation scanned again after a crash publishes again)").register(registry);
    this.consumed = Counter.builder(RECORDS_CONSUMED).description("Segment records whose effects were done and whose "
        + "batch was checkpointed").register(registry);
  }

  /** Meters kept in a registry of their own: for tests that build the feature's dependencies. */
  public static SegmentMetrics unregistered() {
    return new SegmentMetrics(new SimpleMeterRegistry());
  }

  void generated(Duration requestToManifest) {
    generation.record(requestToManifest);
  }

  void published(long records) {
    published.increment(records);
  }

  /**
   * A batch of {@code records} is checkpointed, {@code millisBehind} the shard's tip when it was read (negative:
   * unknown, the lag is left as it was).
   */
  void checkpointed(String shardId, int records, long millisBehind) {
    consumed.increment(records);
    if (millisBehind < 0) return;
    lags.computeIfAbsent(shardId, id -> {
      AtomicLong lag = new AtomicLong();
      lagGauges.put(id, Gauge.builder(CHECKPOINT_LAG, lag, l -> l.get() / (double) TimeUnit.SECONDS.toMillis(1))
          .description("How far behind the shard's newest record its consumer's last checkpoint was")
          .baseUnit("seconds").tag(SHARD, id).register(registry));
      return lag;
    }).set(millisBehind);
  }

  /** The shard is finished, or its consumer stopped on this node: its lag is no longer this node's to tell. */
  void released(String shardId) {
    if (lags.remove(shardId) == null) return;
    Gauge g = lagGauges.remove(shardId);
    if (g != null) registry.remove(g);
  }
}
