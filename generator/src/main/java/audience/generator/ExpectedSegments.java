package audience.generator;

import audience.contract.Activity;
import audience.contract.ActivityType;
import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The segments a generated data set must give, counted from scratch for integration tests: an independent reference
 * for the service's segment aggregator (docs/segments.md), written differently on purpose (whole profiles, plain maps,
 * BigInteger arithmetic) and knowing nothing of it.
 *
 * <p>From every good file's profile, the current one per member is kept (the newest {@code lastActive}, to the
 * millisecond; equal: the greater source key, as the member store decides); then a member counts when opted in and
 * {@code lastActive} lies in {@code [dataTime - window, dataTime]}. A member's banding price is {@code floor((priceMin +
 * priceMax) / 2)}; its band the last whose lower bound is at most that price. O(members) memory: for test-sized data
 * sets. Erased members are not known here: a test that erases some must leave them out itself.
 */
public final class ExpectedSegments {
  /** The open band's high. */
  public static final long OPEN = Long.MAX_VALUE;
  private static final int BEDROOM_SLOTS = 11;

  private ExpectedSegments() {}

  /**
   * The definition's parameters, as plain values: the ascending lower bounds of the bands per intent (first 0), the
   * buckets within a band, the minimum audience, the run's data time and the activity window.
   */
  public record Rules(Map<Intent, List<Long>> lowerBounds, int buckets, int minAudience, Instant dataTime,
                      Duration window) {
    public Rules {
      lowerBounds = Map.copyOf(lowerBounds);
      Objects.requireNonNull(dataTime, "dataTime");
      Objects.requireNonNull(window, "window");
    }
  }

  /** A segment: {@code bandHigh} is {@link #OPEN} for the last band of an intent. */
  public record Key(AuState state, String suburb, Intent intent, PropertyType propertyType, long bandLow,
                    long bandHigh) {}

  /**
   * What one segment must hold: audience, bedrooms (index n: n bedrooms), the audience by price bucket within the band,
   * and enquiries, saves and views within the window.
   */
  public record Expected(Key key, long audience, List<Long> bedrooms, List<Long> priceBuckets, long enquiries,
                         long saves, long views) {}

  /** Every segment with at least one member, from the good files of {@code generator}. */
  public static Map<Key, Expected> all(DatasetGenerator generator, Rules rules) {
    return all(snapshots(generator), rules);
  }

  /** The member ids of every segment with at least one member, from the good files of {@code generator}. */
  public static Map<Key, Set<String>> members(DatasetGenerator generator, Rules rules) {
    Map<Key, Set<String>> out = new HashMap<>();
    grouped(snapshots(generator), rules).forEach((key, list) -> out.put(key,
        list.stream().map(MemberProfile::memberId).collect(Collectors.toUnmodifiableSet())));
    return out;
  }

  private static List<Map.Entry<String, MemberProfile>> snapshots(DatasetGenerator generator) {
    List<Map.Entry<String, MemberProfile>> snapshots = new ArrayList<>();
    for (int i = 0; i < generator.files(); i++) {
      if (!generator.isBad(i)) snapshots.add(Map.entry(generator.key(i), generator.expectedProfile(i)));
    }
    return snapshots;
  }

  /** The segments with at least {@code rules.minAudience()} members, from the good files of {@code generator}. */
  public static Map<Key, Expected> interesting(DatasetGenerator generator, Rules rules) {
    Map<Key, Expected> out = new HashMap<>();
    all(generator, rules).forEach((k, e) -> {
      if (e.audience() >= rules.minAudience()) out.put(k, e);
    });
    return out;
  }

  /** Every segment with at least one member, from (source key, profile) snapshots in any order. */
  public static Map<Key, Expected> all(Iterable<Map.Entry<String, MemberProfile>> snapshots, Rules rules) {
    long from = rules.dataTime().minus(rules.window()).toEpochMilli();
    long to = rules.dataTime().toEpochMilli();
    Map<Key, Expected> out = new HashMap<>();
    grouped(snapshots, rules).forEach((key, list) -> out.put(key, expected(key, list, rules, from, to)));
    return out;
  }

  /** The current profile of every member who counts, by segment. */
  private static Map<Key, List<MemberProfile>> grouped(Iterable<Map.Entry<String, MemberProfile>> snapshots,
                                                       Rules rules) {
    Map<String, Map.Entry<String, MemberProfile>> current = new HashMap<>();
    for (Map.Entry<String, MemberProfile> s : snapshots) {
      current.merge(s.getValue().memberId(), s, (a, b) -> newer(a, b) ? a : b);
    }
    long from = rules.dataTime().minus(rules.window()).toEpochMilli();
    long to = rules.dataTime().toEpochMilli();
    Map<Key, List<MemberProfile>> members = new HashMap<>();
    for (Map.Entry<String, MemberProfile> s : current.values()) {
      MemberProfile p = s.getValue();
      long at = p.lastActive().toEpochMilli();
      if (p.optIn() && at >= from && at <= to) members.computeIfAbsent(key(p, rules), k -> new ArrayList<>()).add(p);
    }
    return members;
  }

  private static boolean newer(Map.Entry<String, MemberProfile> a, Map.Entry<String, MemberProfile> b) {
    long la = a.getValue().lastActive().toEpochMilli();
    long lb = b.getValue().lastActive().toEpochMilli();
    return la != lb ? la > lb : a.getKey().compareTo(b.getKey()) > 0;
  }

  private static long bandingPrice(MemberProfile p) {
    return BigInteger.valueOf(p.priceMin()).add(BigInteger.valueOf(p.priceMax())).shiftRight(1).longValueExact();
  }

  private static Key key(MemberProfile p, Rules rules) {
    List<Long> bounds = rules.lowerBounds().get(p.intent());
    long price = bandingPrice(p);
    int band = 0;
    while (band + 1 < bounds.size() && bounds.get(band + 1) <= price) band++;
    long high = band + 1 < bounds.size() ? bounds.get(band + 1) : OPEN;
    return new Key(p.state(), p.suburb(), p.intent(), p.propertyType(), bounds.get(band), high);
  }

  private static Expected expected(Key key, List<MemberProfile> list, Rules rules, long from, long to) {
    List<Long> bounds = rules.lowerBounds().get(key.intent());
    long span = key.bandHigh() != OPEN ? key.bandHigh() - key.bandLow()
        : bounds.get(bounds.size() - 1) - bounds.get(bounds.size() - 2);
    long[] bedrooms = new long[BEDROOM_SLOTS];
    long[] buckets = new long[rules.buckets()];
    long enquiries = 0, saves = 0, views = 0;
    for (MemberProfile p : list) {
      bedrooms[p.bedrooms()]++;
      BigInteger scaled = BigInteger.valueOf(bandingPrice(p) - key.bandLow()).multiply(BigInteger.valueOf(rules.buckets()))
          .divide(BigInteger.valueOf(span));
      buckets[scaled.min(BigInteger.valueOf(rules.buckets() - 1L)).intValueExact()]++;
      for (Activity a : p.activity()) {
        long at = a.at().toEpochMilli();
        if (at < from || at > to) continue;
        if (a.type() == ActivityType.ENQUIRY) enquiries++;
        if (a.type() == ActivityType.SAVE) saves++;
        if (a.type() == ActivityType.VIEW) views++;
      }
    }
    return new Expected(key, list.size(), boxed(bedrooms), boxed(buckets), enquiries, saves, views);
  }

  private static List<Long> boxed(long[] values) {
    List<Long> out = new ArrayList<>(values.length);
    for (long v : values) out.add(v);
    return List.copyOf(out);
  }
}
