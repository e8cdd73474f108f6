package audience.generator;

import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ExpectedSegmentsTest {
  private static final Instant DATA_TIME = Instant.parse("2025-06-30T00:00:00Z");
  private static final List<Long> BOUNDS = List.of(0L, 500_000L, 1_000_000L);
  private static final ExpectedSegments.Rules RULES = new ExpectedSegments.Rules(
      Map.of(Intent.BUY, BOUNDS, Intent.RENT, List.of(0L, 500L), Intent.SELL, BOUNDS, Intent.INVEST, BOUNDS), 4, 1,
      DATA_TIME, Duration.ofDays(30));
  private static final int MEMBERS_FILES = 500;

  private static MemberProfile profile(String suburb, long price, Instant lastActive) {
    return new MemberProfile("m-same1", "a@example.com", true, suburb, "2000", AuState.NSW, Intent.BUY,
        PropertyType.HOUSE, 3, price, price, lastActive, List.of());
  }

  @Test
  void theNewestSnapshotCountsAndEqualInstantsGoToTheGreaterKey() {
    Instant recent = DATA_TIME.minus(Duration.ofDays(1));
    Map<ExpectedSegments.Key, ExpectedSegments.Expected> newest = ExpectedSegments.all(List.of(
        Map.entry("b.json", profile("Newtown", 600_000, recent)),
        Map.entry("a.json", profile("Bondi", 600_000, recent.minusMillis(1)))), RULES);
    assertThat(newest.keySet()).extracting(ExpectedSegments.Key::suburb).containsExactly("Newtown");

    Map<ExpectedSegments.Key, ExpectedSegments.Expected> tie = ExpectedSegments.all(List.of(
        Map.entry("b.json", profile("Newtown", 600_000, recent)),
        Map.entry("c.json", profile("Manly", 2_000_000, recent))), RULES);
    ExpectedSegments.Expected e = tie.values().iterator().next();
    assertThat(tie).hasSize(1);
    assertThat(e.key()).isEqualTo(new ExpectedSegments.Key(AuState.NSW, "Manly", Intent.BUY, PropertyType.HOUSE,
        1_000_000, ExpectedSegments.OPEN));
    assertThat(e.audience()).isEqualTo(1);
    assertThat(e.priceBuckets()).containsExactly(0L, 0L, 0L, 1L);
    assertThat(e.bedrooms().get(3)).isEqualTo(1L);
  }

  @Test
  void onlyMembersActiveWithinTheWindowBothBoundsIncludedCount() {
    Instant from = DATA_TIME.minus(Duration.ofDays(30));
    assertThat(ExpectedSegments.all(List.of(Map.entry("a", profile("Bondi", 1, from))), RULES)).hasSize(1);
    assertThat(ExpectedSegments.all(List.of(Map.entry("a", profile("Bondi", 1, DATA_TIME))), RULES)).hasSize(1);
    assertThat(ExpectedSegments.all(List.of(Map.entry("a", profile("Bondi", 1, from.minusMillis(1)))), RULES))
        .isEmpty();
    assertThat(ExpectedSegments.all(List.of(Map.entry("a", profile("Bondi", 1, DATA_TIME.plusMillis(1)))), RULES))
        .isEmpty();
  }

  @Test
  void theMembersOfEachSegmentAreAsManyAsItsAudienceAndEachMemberIsInOneSegment() {
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(MEMBERS_FILES, 0, 3L,
        GeneratorSpec.DEFAULT_BUCKET, "p/", 0.0));
    ExpectedSegments.Rules rules = new ExpectedSegments.Rules(RULES.lowerBounds(), RULES.buckets(), 1,
        generator.snapshotDate().plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant(), Duration.ofDays(365));
    Map<ExpectedSegments.Key, ExpectedSegments.Expected> all = ExpectedSegments.all(generator, rules);
    Map<ExpectedSegments.Key, Set<String>> members = ExpectedSegments.members(generator, rules);
    assertThat(all).isNotEmpty();
    assertThat(members.keySet()).isEqualTo(all.keySet());
    members.forEach((key, ids) -> assertThat((long) ids.size()).as("%s", key).isEqualTo(all.get(key).audience()));
    assertThat(members.values().stream().mapToLong(Set::size).sum())
        .isEqualTo(members.values().stream().flatMap(Set::stream).distinct().count());
  }
}
