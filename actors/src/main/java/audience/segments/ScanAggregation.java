package audience.segments;

import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Aggregates the items of a parallel scan, whose pages arrive on several threads at once, without a lock on the
 * counting path: each thread feeds an aggregator of its own, and {@link #result()} merges them. Memory: one
 * aggregator per thread that fed items (the SDK's completion threads, a fixed pool), each bounded by the number of
 * segments.
 *
 * <p>Call {@link #result()} once the scan has completed (e.g. in the scan future's continuation): the completion
 * orders every fed item before it.
 */
public final class ScanAggregation implements Consumer<Map<String, AttributeValue>> {
  private final SegmentRules rules;
  private final ActivityWindow window;
  private final Map<Long, SegmentAggregator> partials = new ConcurrentHashMap<>();

  public ScanAggregation(SegmentRules rules, ActivityWindow window) {
    this.rules = rules;
    this.window = window;
  }

  @Override
  public void accept(Map<String, AttributeValue> item) {
    partials.computeIfAbsent(Thread.currentThread().getId(),
        t -> new SegmentAggregator(rules, window)).addItem(item);
  }

  /** Every partial merged into a new aggregator. */
  public SegmentAggregator result() {
    SegmentAggregator all = new SegmentAggregator(rules, window);
    partials.values().forEach(all::merge);
    return all;
  }
}
