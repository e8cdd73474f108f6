package audience.segments;

import audience.contract.Activity;
import audience.contract.ActivityType;
import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;
import audience.segments.MemberRow.ActivityAt;
import audience.segments.SegmentRules.Eligibility;
import audience.store.MemberStore;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static audience.segments.SegmentFixtures.ACTIVE;
import static audience.segments.SegmentFixtures.DATA_TIME;
import static audience.segments.SegmentFixtures.MIN_AUDIENCE;
import static audience.segments.SegmentFixtures.RULES;
import static audience.segments.SegmentFixtures.WINDOW;
import static audience.segments.SegmentFixtures.aggregator;
import static audience.segments.SegmentFixtures.keyOf;
import static audience.segments.SegmentFixtures.row;
import static audience.segments.SegmentFixtures.withActivity;
import static audience.segments.SegmentFixtures.withBedrooms;
import static audience.segments.SegmentFixtures.withLastActive;
import static audience.segments.SegmentFixtures.withOptIn;
import static audience.segments.SegmentFixtures.withPrice;
import static audience.segments.SegmentFixtures.withSuburb;
import static org.assertj.core.api.Assertions.assertThat;

class SegmentAggregatorTest {

  private static Map<String, Long> audiences(List<SegmentAggregate> aggregates) {
    Map<String, Long> m = new HashMap<>();
    aggregates.forEach(a -> m.put(a.key().suburb(), a.audience()));
    return m;
  }

  @Test
  void aSuburbWithExactlyTheMinimumIsInterestingAndOneBelowIsNot() {
    SegmentAggregator agg = aggregator();
    for (int i = 0; i < MIN_AUDIENCE; i++) agg.add(row("m-in" + i));
    for (int i = 0; i < MIN_AUDIENCE - 1; i++) agg.add(withSuburb(row("m-out" + i), "Newtown"));
    assertThat(audiences(agg.aggregates())).containsEntry("Surry Hills", (long) MIN_AUDIENCE)
        .containsEntry("Newtown", (long) MIN_AUDIENCE - 1);
    assertThat(Segments.interesting(agg.aggregates(), RULES)).extracting(a -> a.key().suburb())
        .containsExactly("Surry Hills");
  }

  @Test
  void membersWithoutConsentDoNotCount() {
    SegmentAggregator agg = aggregator();
    for (int i = 0; i < MIN_AUDIENCE; i++) agg.add(withOptIn(row("m-no" + i), false));
    agg.add(row("m-yes"));
    assertThat(agg.aggregates()).singleElement().extracting(SegmentAggregate::audience).isEqualTo(1L);
    assertThat(agg.tally()).isEqualTo(new SegmentAggregator.Tally(MIN_AUDIENCE + 1, 1, MIN_AUDIENCE, 0, 0));
    assertThat(Segments.interesting(agg.aggregates(), RULES)).isEmpty();
  }

  @Test
  void theWindowIncludesBothBoundsAndNothingBeyond() {
    long from = DATA_TIME.minus(WINDOW).toEpochMilli();
    long to = DATA_TIME.toEpochMilli();
    SegmentAggregator agg = aggregator();
    assertThat(agg.add(withLastActive(row("m-edge"), from))).isInstanceOf(Eligibility.Counted.class);
    assertThat(agg.add(withLastActive(row("m-now"), to))).isInstanceOf(Eligibility.Counted.class);
    assertThat(agg.add(withLastActive(row("m-old"), from - 1))).isEqualTo(Eligibility.Inactive.INSTANCE);
    assertThat(agg.add(withLastActive(row("m-future"), to + 1))).isEqualTo(Eligibility.Inactive.INSTANCE);
    assertThat(agg.tally().counted()).isEqualTo(2);
    assertThat(agg.tally().inactive()).isEqualTo(2);
    assertThat(agg.aggregates()).singleElement().extracting(SegmentAggregate::audience).isEqualTo(2L);
  }

  @Test
  void rentAndBuyOfOnePriceFallInTheirOwnBands() {
    SegmentAggregator agg = aggregator();
    agg.add(withPrice(row("m-rent"), Intent.RENT, 450, 550));
    agg.add(withPrice(row("m-buy"), Intent.BUY, 450, 550));
    assertThat(agg.aggregates()).extracting(SegmentAggregate::id).containsExactly(
        "nsw~surry-hills-7ea0ece8~buy~apartment~0-500000", "nsw~surry-hills-7ea0ece8~rent~apartment~400-600");
  }

  @Test
  void aMemberWhoMovedSuburbCountsOnlyWhereTheirCurrentRowSays() {
    // The scan gives the current item only: the member's earlier suburb is not fed, and counts nothing.
    SegmentAggregator agg = aggregator();
    agg.add(withSuburb(row("m-moved"), "Newtown"));
    agg.add(row("m-stayed"));
    assertThat(audiences(agg.aggregates())).containsOnly(Map.entry("Newtown", 1L), Map.entry("Surry Hills", 1L));
  }

  @Test
  void eachRowFedCountsOnceSoTheSameMemberFedTwiceCountsTwice() {
    // Documented: the aggregator keeps no member list (bounded memory); feeding each member once is the caller's part.
    SegmentAggregator agg = aggregator();
    agg.add(row("m-twice"));
    agg.add(row("m-twice"));
    assertThat(agg.aggregates()).singleElement().extracting(SegmentAggregate::audience).isEqualTo(2L);
    assertThat(agg.tally().rows()).isEqualTo(2);
  }

  @Test
  void bedroomsPricesAndEngagementWithinTheWindowAreCounted() {
    long from = ACTIVE.from().toEpochMilli();
    List<ActivityAt> activity = List.of(new ActivityAt(ActivityType.ENQUIRY, SegmentFixtures.RECENT),
        new ActivityAt(ActivityType.ENQUIRY, from), new ActivityAt(ActivityType.ENQUIRY, from - 1),
        new ActivityAt(ActivityType.SAVE, SegmentFixtures.RECENT), new ActivityAt(ActivityType.VIEW, from),
        new ActivityAt(ActivityType.VIEW, SegmentFixtures.RECENT), new ActivityAt(ActivityType.SEARCH, from));
    SegmentAggregator agg = aggregator();
    agg.add(withActivity(withBedrooms(withPrice(row("m-a"), Intent.BUY, 500_000, 500_000), 0), activity));
    agg.add(withBedrooms(withPrice(row("m-b"), Intent.BUY, 600_000, 700_000), 10));
    agg.add(withBedrooms(withPrice(row("m-c"), Intent.BUY, 990_000, 1_009_998), 2));
    agg.add(withActivity(withOptIn(row("m-d"), false), activity)); // no consent: neither counted nor engaged
    SegmentAggregate a = agg.aggregates().get(0);
    assertThat(agg.aggregates()).hasSize(1);
    assertThat(a.key().priceBand()).isEqualTo(new PriceBand(500_000, 1_000_000));
    assertThat(a.audience()).isEqualTo(3);
    assertThat(a.bedrooms()).containsExactly(1L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1L);
    // midpoints 500000 (bucket 0), 650000 (bucket 1), 999999 (bucket 3)
    assertThat(a.priceBuckets()).containsExactly(1L, 1L, 0L, 1L);
    assertThat(a.engagement()).isEqualTo(new Engagement(2, 1, 2));
  }

  @Test
  void partialAggregatorsMergedEqualOnePass() {
    List<MemberRow> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      MemberRow r = withBedrooms(row("m-" + i), i % 5);
      if (i % 3 == 0) r = withSuburb(r, "Newtown");
      if (i % 7 == 0) r = withOptIn(r, false);
      if (i % 4 == 0) r = withPrice(r, Intent.RENT, 300 + i * 10, 500 + i * 10);
      rows.add(withActivity(r, List.of(new ActivityAt(ActivityType.VIEW, SegmentFixtures.RECENT))));
    }
    SegmentAggregator one = aggregator();
    rows.forEach(one::add);
    SegmentAggregator[] parts = {aggregator(), aggregator(), aggregator()};
    for (int i = 0; i < rows.size(); i++) parts[i % parts.length].add(rows.get(i));
    SegmentAggregator merged = aggregator().merge(parts[2]).merge(parts[0]).merge(parts[1]);
    assertThat(merged.aggregates()).isEqualTo(one.aggregates());
    assertThat(merged.tally()).isEqualTo(one.tally());
    assertThat(one.segmentCount()).isGreaterThan(2);
  }

  @Test
  void aStoredItemReadsBackAsItsRowAndAMalformedItemIsTallied() {
    MemberProfile p = new MemberProfile("m-item1", "someone@example.com", true, "Fitzroy", "3065", AuState.VIC,
        Intent.RENT, PropertyType.TOWNHOUSE, 3, 550, 650, Instant.ofEpochMilli(SegmentFixtures.RECENT),
        List.of(new Activity(ActivityType.SAVE, "l-1", Instant.ofEpochMilli(SegmentFixtures.RECENT - 5))));
    Map<String, AttributeValue> item = MemberStore.toItem(new MemberStore.Snapshot(p, "2025-06-30/x.json", "run-1"));
    MemberRow r = MemberRow.fromItem(item);
    assertThat(r).isEqualTo(new MemberRow("m-item1", true, AuState.VIC, "Fitzroy", Intent.RENT,
        PropertyType.TOWNHOUSE, 3, 550, 650, SegmentFixtures.RECENT,
        List.of(new ActivityAt(ActivityType.SAVE, SegmentFixtures.RECENT - 5))));

    // The projection names exactly the attributes fromItem reads, so a projected item reads the same.
    Map<String, AttributeValue> projected = new HashMap<>(item);
    projected.keySet().retainAll(MemberRow.PROJECTION_NAMES.values());
    assertThat(MemberRow.fromItem(projected)).isEqualTo(r);
    assertThat(projected).doesNotContainKey("email");
    for (String placeholder : MemberRow.PROJECTION_NAMES.keySet()) assertThat(MemberRow.PROJECTION).contains(placeholder);

    SegmentAggregator agg = aggregator();
    assertThat(agg.addItem(item)).isTrue();
    Map<String, AttributeValue> broken = new HashMap<>(item);
    broken.put("state", AttributeValue.fromS("Victoria"));
    assertThat(agg.addItem(broken)).isFalse();
    broken.remove("optIn");
    assertThat(agg.addItem(broken)).isFalse();
    assertThat(agg.tally()).isEqualTo(new SegmentAggregator.Tally(3, 1, 0, 0, 2));
    assertThat(agg.aggregates()).singleElement().satisfies(a -> assertThat(a.key()).isEqualTo(keyOf(r)));
  }
}
