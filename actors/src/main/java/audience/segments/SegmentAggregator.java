package audience.segments;

import audience.contract.ActivityType;
import audience.segments.SegmentRules.Eligibility;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Counts member rows into segments, one row at a time, in memory that grows with the number of distinct segments,
 * never with members: per segment a few counters and two small histograms, no member list.
 *
 * <p>Each row fed is counted once. The aggregator does not remember members, so a row fed twice counts twice:
 * feeding each current member once is the caller's part (a scan of the members table gives one item per member).
 *
 * <p>Not thread-safe: use one aggregator per thread (or per scan segment) and {@link #merge} them at the end, e.g.
 * through {@link ScanAggregation}. Merging is associative and commutative: any split of the rows, merged, gives what
 * one aggregator fed every row gives.
 */
public final class SegmentAggregator {
  private static final int BEDROOM_SLOTS = MemberRow.MAX_BEDROOMS + 1;

  private final SegmentRules rules;
  private final ActivityWindow window;
  private final Map<SegmentKey, Counts> segments = new HashMap<>();
  private long rows;
  private long noConsent;
  private long inactive;
  private long malformed;

  public SegmentAggregator(SegmentRules rules, ActivityWindow window) {
    this.rules = Objects.requireNonNull(rules, "rules");
    this.window = Objects.requireNonNull(window, "window");
  }

  /** An aggregator for the run whose data time is {@code dataTime}: the window is the rules' window before it. */
  public static SegmentAggregator forDataTime(SegmentRules rules, Instant dataTime) {
    return new SegmentAggregator(rules, ActivityWindow.ending(dataTime, rules.activityWindow()));
  }

  public SegmentRules rules() {
    return rules;
  }

  public ActivityWindow window() {
    return window;
  }

  /** Counts one member row; answers what became of it. */
  public Eligibility add(MemberRow row) {
    rows++;
    Eligibility e = rules.classify(row, window);
    if (e instanceof Eligibility.Counted c) {
      segments.computeIfAbsent(c.key(), k -> new Counts(rules.bands().buckets()))
          .add(row, rules.bands().bucketOf(row.intent(), c.key().priceBand(), c.bandingPrice()), window);
    } else if (e instanceof Eligibility.NoConsent) {
      noConsent++;
    } else {
      inactive++;
    }
    return e;
  }

  /**
   * Counts one scanned member item ({@link MemberRow#fromItem}); an item that is not a member row is counted as
   * malformed and otherwise left out. Answers whether it was a member row.
   */
  public boolean addItem(Map<String, AttributeValue> item) {
    MemberRow row;
    try {
      row = MemberRow.fromItem(item);
    } catch (IllegalArgumentException e) {
      rows++;
      malformed++;
      return false;
    }
    add(row);
    return true;
  }

  /** Adds everything {@code other} counted to this aggregator (same rules and window); {@code other} is unchanged. */
  public SegmentAggregator merge(SegmentAggregator other) {
    if (!rules.equals(other.rules) || !window.equals(other.window)) {
      throw new IllegalArgumentException("only aggregators of the same rules and window merge");
    }
    other.segments.forEach((key, counts) ->
        segments.computeIfAbsent(key, k -> new Counts(rules.bands().buckets())).add(counts));
    rows += other.rows;
    noConsent += other.noConsent;
    inactive += other.inactive;
    malformed += other.malformed;
    return this;
  }

  /** How many rows were fed, and why those that count nowhere do not. */
  public Tally tally() {
    return new Tally(rows, rows - noConsent - inactive - malformed, noConsent, inactive, malformed);
  }

  /** The rows fed: {@code counted + noConsent + inactive + malformed}. */
  public record Tally(long rows, long counted, long noConsent, long inactive, long malformed) {}

  /** Distinct segments with at least one member so far. */
  public int segmentCount() {
    return segments.size();
  }

  /** Every segment with at least one member, by id. */
  public List<SegmentAggregate> aggregates() {
    return segments.entrySet().stream().map(e -> e.getValue().aggregate(e.getKey()))
        .sorted(Comparator.comparing(SegmentAggregate::id)).toList();
  }

  /** One segment's counters. */
  private static final class Counts {
    long audience;
    final long[] bedrooms = new long[BEDROOM_SLOTS];
    final long[] buckets;
    long enquiries;
    long saves;
    long views;

    Counts(int buckets) {
      this.buckets = new long[buckets];
    }

    void add(MemberRow row, int bucket, ActivityWindow window) {
      audience++;
      bedrooms[row.bedrooms()]++;
      buckets[bucket]++;
      for (MemberRow.ActivityAt a : row.activity()) {
        if (!window.contains(a.at())) continue;
        if (a.type() == ActivityType.ENQUIRY) enquiries++;
        else if (a.type() == ActivityType.SAVE) saves++;
        else if (a.type() == ActivityType.VIEW) views++;
      }
    }

    void add(Counts other) {
      audience += other.audience;
      for (int i = 0; i < bedrooms.length; i++) bedrooms[i] += other.bedrooms[i];
      for (int i = 0; i < buckets.length; i++) buckets[i] += other.buckets[i];
      enquiries += other.enquiries;
      saves += other.saves;
      views += other.views;
    }

    SegmentAggregate aggregate(SegmentKey key) {
      return new SegmentAggregate(key, audience, Arrays.stream(bedrooms).boxed().toList(),
          Arrays.stream(buckets).boxed().toList(), new Engagement(enquiries, saves, views));
    }
  }
}
