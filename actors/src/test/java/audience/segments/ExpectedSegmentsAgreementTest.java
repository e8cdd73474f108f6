package audience.segments;

import audience.config.Settings;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.generator.DatasetGenerator;
import audience.generator.ExpectedSegments;
import audience.generator.GeneratorSpec;
import audience.store.MemberStore;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The aggregator, fed the items a member store would hold after ingesting a generated data set, against the
 * generator's independent reference ({@link ExpectedSegments}), with the reference configuration's rules.
 */
class ExpectedSegmentsAgreementTest {
  private static final int FILES = 5000;
  private static final int BAD_FILES = 40;
  private static final long SEED = 7;
  /** Low enough that a data set this small has interesting segments, and some that are not. */
  private static final int MIN_AUDIENCE = 3;

  @Test
  void theAggregatorAndTheReferenceAgreeOnAGeneratedDataSet() {
    DatasetGenerator generator = new DatasetGenerator(GeneratorSpec.of(FILES, BAD_FILES, SEED));
    Instant dataTime = generator.snapshotDate().atStartOfDay(ZoneOffset.UTC).toInstant();
    Settings.SegmentSettings settings = Settings.load(Map.of("audience.segments.min-audience", MIN_AUDIENCE)).segments();
    SegmentRules rules = SegmentRules.from(settings);

    // What the members table holds: one item per member, the newest snapshot (equal instants: the greater key).
    Map<String, MemberStore.Snapshot> current = new HashMap<>();
    for (int i = 0; i < generator.files(); i++) {
      if (generator.isBad(i)) continue;
      MemberStore.Snapshot s = new MemberStore.Snapshot(generator.expectedProfile(i), generator.key(i), "run-1");
      current.merge(s.profile().memberId(), s, (a, b) -> later(a, b) ? a : b);
    }
    SegmentAggregator agg = SegmentAggregator.forDataTime(rules, dataTime);
    current.values().forEach(s -> agg.addItem(MemberStore.toItem(s)));

    Map<Intent, List<Long>> bounds = new EnumMap<>(Intent.class);
    settings.priceBands().forEach((wire, b) -> bounds.put(Intent.fromWire(wire).orElseThrow(), b));
    ExpectedSegments.Rules reference = new ExpectedSegments.Rules(bounds, settings.priceBuckets(),
        settings.minAudience(), dataTime, settings.activityWindow());
    Map<String, SegmentAggregate> expected = new HashMap<>();
    ExpectedSegments.all(generator, reference).values().forEach(e -> {
      ExpectedSegments.Key k = e.key();
      SegmentKey key = new SegmentKey(k.state(), k.suburb(), k.intent(), k.propertyType(),
          new PriceBand(k.bandLow(), k.bandHigh()));
      expected.put(key.id(), new SegmentAggregate(key, e.audience(), e.bedrooms(), e.priceBuckets(),
          new Engagement(e.enquiries(), e.saves(), e.views())));
    });

    assertThat(agg.tally().rows()).isEqualTo(generator.groundTruth().distinctMembers());
    assertThat(agg.tally().counted()).isPositive();
    assertThat(agg.tally().inactive()).isPositive();
    assertThat(agg.tally().noConsent()).isPositive();
    assertThat(agg.aggregates()).containsExactlyInAnyOrderElementsOf(expected.values());
    List<SegmentAggregate> interesting = Segments.interesting(agg.aggregates(), rules);
    assertThat(interesting).isNotEmpty().hasSizeLessThan(agg.segmentCount());
    assertThat(interesting).extracting(SegmentAggregate::id)
        .containsExactlyElementsOf(ExpectedSegments.interesting(generator, reference).values().stream()
            .map(e -> new SegmentKey(e.key().state(), e.key().suburb(), e.key().intent(), e.key().propertyType(),
                new PriceBand(e.key().bandLow(), e.key().bandHigh())).id()).sorted().toList());
  }

  private static boolean later(MemberStore.Snapshot a, MemberStore.Snapshot b) {
    MemberProfile pa = a.profile();
    MemberProfile pb = b.profile();
    long la = pa.lastActive().toEpochMilli();
    long lb = pb.lastActive().toEpochMilli();
    return la != lb ? la > lb : a.sourceKey().compareTo(b.sourceKey()) > 0;
  }

}
