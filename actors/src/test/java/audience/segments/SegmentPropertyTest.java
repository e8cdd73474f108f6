package audience.segments;

import audience.contract.ActivityType;
import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.PropertyType;
import audience.segments.MemberRow.ActivityAt;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static audience.segments.SegmentFixtures.ACTIVE;
import static audience.segments.SegmentFixtures.BANDS;
import static audience.segments.SegmentFixtures.RULES;
import static audience.segments.SegmentFixtures.aggregator;
import static org.assertj.core.api.Assertions.assertThat;

/** The aggregator against a naive from-scratch count over lists of random members, for many seeds. */
class SegmentPropertyTest {
  private static final int SEEDS = 200;
  private static final int MAX_MEMBERS = 300;
  private static final int MAX_ACTIVITY = 6;
  private static final String[] SUBURBS = {"Bondi", "Newtown", "St Ives", "St. Ives", "Box Hill"};
  private static final long SPREAD_MS = 3 * SegmentFixtures.WINDOW.toMillis();

  @Test
  void theAggregatorAgreesWithANaiveCountForEverySeed() {
    for (long seed = 1; seed <= SEEDS; seed++) {
      Random random = new Random(seed);
      List<MemberRow> members = randomMembers(random);
      SegmentAggregator single = aggregator();
      members.forEach(single::add);
      SegmentAggregator[] parts = {aggregator(), aggregator()};
      members.forEach(m -> parts[random.nextInt(parts.length)].add(m));
      SegmentAggregator merged = aggregator().merge(parts[0]).merge(parts[1]);

      Map<String, SegmentAggregate> expected = naive(members);
      assertThat(single.aggregates()).as("seed %d", seed).isEqualTo(List.copyOf(expected.values()));
      assertThat(merged.aggregates()).as("seed %d merged", seed).isEqualTo(single.aggregates());
      assertThat(Segments.interesting(single.aggregates(), RULES)).as("seed %d interesting", seed)
          .isEqualTo(expected.values().stream().filter(a -> a.audience() >= SegmentFixtures.MIN_AUDIENCE).toList());
    }
  }

  private static List<MemberRow> randomMembers(Random r) {
    int n = r.nextInt(MAX_MEMBERS);
    long to = ACTIVE.to().toEpochMilli();
    List<MemberRow> members = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Intent intent = pick(r, Intent.values());
      long scale = intent == Intent.RENT ? 1500 : 3_000_000;
      long min = (long) (r.nextDouble() * scale);
      long max = min + (long) (r.nextDouble() * scale / 4);
      long lastActive = r.nextInt(20) == 0 ? ACTIVE.from().toEpochMilli() : to - (long) (r.nextDouble() * SPREAD_MS);
      List<ActivityAt> activity = new ArrayList<>();
      for (int k = r.nextInt(MAX_ACTIVITY); k > 0; k--) {
        activity.add(new ActivityAt(pick(r, ActivityType.values()), lastActive - (long) (r.nextDouble() * SPREAD_MS)));
      }
      members.add(new MemberRow("m-r" + i, r.nextInt(10) < 7, pick(r, new AuState[] {AuState.NSW, AuState.VIC}),
          pick(r, SUBURBS), intent, pick(r, PropertyType.values()), r.nextInt(MemberRow.MAX_BEDROOMS + 1), min, max,
          lastActive, activity));
    }
    return members;
  }

  private static <T> T pick(Random r, T[] values) {
    return values[r.nextInt(values.length)];
  }

  /** Straightforward: filter, then per member find its band and bucket by walking the lists. */
  private static Map<String, SegmentAggregate> naive(List<MemberRow> members) {
    long from = ACTIVE.from().toEpochMilli();
    long to = ACTIVE.to().toEpochMilli();
    Map<String, List<MemberRow>> byId = new TreeMap<>();
    Map<String, SegmentKey> keys = new TreeMap<>();
    Map<String, List<Integer>> bucketsOf = new TreeMap<>();
    for (MemberRow m : members) {
      if (!m.optIn() || m.lastActive() < from || m.lastActive() > to) continue;
      long mid = BigInteger.valueOf(m.priceMin()).add(BigInteger.valueOf(m.priceMax()))
          .divide(BigInteger.TWO).longValueExact();
      PriceBand band = null;
      for (PriceBand b : BANDS.bands(m.intent())) if (mid >= b.low() && (b.open() || mid < b.high())) band = b;
      List<PriceBand> ranges = BANDS.bucketRanges(m.intent(), band);
      int bucket = -1;
      for (int i = 0; i < ranges.size(); i++) if (ranges.get(i).contains(mid)) bucket = i;
      SegmentKey key = new SegmentKey(m.state(), m.suburb(), m.intent(), m.propertyType(), band);
      keys.put(key.id(), key);
      byId.computeIfAbsent(key.id(), k -> new ArrayList<>()).add(m);
      bucketsOf.computeIfAbsent(key.id(), k -> new ArrayList<>()).add(bucket);
    }
    Map<String, SegmentAggregate> out = new TreeMap<>();
    byId.forEach((id, list) -> {
      Long[] bedrooms = new Long[MemberRow.MAX_BEDROOMS + 1];
      Long[] buckets = new Long[BANDS.buckets()];
      java.util.Arrays.fill(bedrooms, 0L);
      java.util.Arrays.fill(buckets, 0L);
      long enquiries = 0, saves = 0, views = 0;
      for (MemberRow m : list) {
        bedrooms[m.bedrooms()]++;
        for (ActivityAt a : m.activity()) {
          boolean in = a.at() >= from && a.at() <= to;
          if (in && a.type() == ActivityType.ENQUIRY) enquiries++;
          if (in && a.type() == ActivityType.SAVE) saves++;
          if (in && a.type() == ActivityType.VIEW) views++;
        }
      }
      for (int b : bucketsOf.get(id)) buckets[b]++;
      out.put(id, new SegmentAggregate(keys.get(id), list.size(), List.of(bedrooms), List.of(buckets),
          new Engagement(enquiries, saves, views)));
    });
    return out;
  }
}
