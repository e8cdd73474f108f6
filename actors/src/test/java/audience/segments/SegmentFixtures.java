package audience.segments;

import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.PropertyType;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Rules, a data time and member rows for the segment tests. */
final class SegmentFixtures {
  static final Instant DATA_TIME = Instant.parse("2025-06-30T00:00:00Z");
  static final Duration WINDOW = Duration.ofDays(30);
  static final int MIN_AUDIENCE = 3;
  static final int BUCKETS = 4;
  static final List<Long> RENT = List.of(0L, 400L, 600L, 1000L);
  static final List<Long> SALE = List.of(0L, 500_000L, 1_000_000L, 2_000_000L);
  static final PriceBands BANDS = PriceBands.of(
      Map.of(Intent.RENT, RENT, Intent.BUY, SALE, Intent.SELL, SALE, Intent.INVEST, SALE), BUCKETS);
  static final SegmentRules RULES = new SegmentRules(MIN_AUDIENCE, WINDOW, BANDS);
  static final ActivityWindow ACTIVE = ActivityWindow.ending(DATA_TIME, WINDOW);
  /** Well inside the window. */
  static final long RECENT = DATA_TIME.minus(Duration.ofDays(1)).toEpochMilli();

  private SegmentFixtures() {}

  static SegmentAggregator aggregator() {
    return new SegmentAggregator(RULES, ACTIVE);
  }

  /** An opted-in, recently active member buying a 2-bedroom apartment in Surry Hills for 750k..850k. */
  static MemberRow row(String id) {
    return new MemberRow(id, true, AuState.NSW, "Surry Hills", Intent.BUY, PropertyType.APARTMENT, 2,
        750_000, 850_000, RECENT, List.of());
  }

  static MemberRow withSuburb(MemberRow r, String suburb) {
    return new MemberRow(r.memberId(), r.optIn(), r.state(), suburb, r.intent(), r.propertyType(), r.bedrooms(),
        r.priceMin(), r.priceMax(), r.lastActive(), r.activity());
  }

  static MemberRow withOptIn(MemberRow r, boolean optIn) {
    return new MemberRow(r.memberId(), optIn, r.state(), r.suburb(), r.intent(), r.propertyType(), r.bedrooms(),
        r.priceMin(), r.priceMax(), r.lastActive(), r.activity());
  }

  static MemberRow withLastActive(MemberRow r, long lastActive) {
    return new MemberRow(r.memberId(), r.optIn(), r.state(), r.suburb(), r.intent(), r.propertyType(), r.bedrooms(),
        r.priceMin(), r.priceMax(), lastActive, r.activity());
  }

  static MemberRow withPrice(MemberRow r, Intent intent, long priceMin, long priceMax) {
    return new MemberRow(r.memberId(), r.optIn(), r.state(), r.suburb(), intent, r.propertyType(), r.bedrooms(),
        priceMin, priceMax, r.lastActive(), r.activity());
  }

  static MemberRow withBedrooms(MemberRow r, int bedrooms) {
    return new MemberRow(r.memberId(), r.optIn(), r.state(), r.suburb(), r.intent(), r.propertyType(), bedrooms,
        r.priceMin(), r.priceMax(), r.lastActive(), r.activity());
  }

  static MemberRow withActivity(MemberRow r, List<MemberRow.ActivityAt> activity) {
    return new MemberRow(r.memberId(), r.optIn(), r.state(), r.suburb(), r.intent(), r.propertyType(), r.bedrooms(),
        r.priceMin(), r.priceMax(), r.lastActive(), activity);
  }

  static SegmentKey keyOf(MemberRow r) {
    long price = PriceBands.bandingPrice(r.priceMin(), r.priceMax());
    return new SegmentKey(r.state(), r.suburb(), r.intent(), r.propertyType(), BANDS.bandOf(r.intent(), price));
  }
}
