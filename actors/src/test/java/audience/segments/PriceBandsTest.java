package audience.segments;

import audience.config.Settings;
import audience.contract.Intent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static audience.segments.SegmentFixtures.BANDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PriceBandsTest {

  @Test
  void theBandingPriceIsTheMidpointRoundedDown() {
    assertThat(PriceBands.bandingPrice(400, 600)).isEqualTo(500);
    assertThat(PriceBands.bandingPrice(400, 601)).isEqualTo(500);
    assertThat(PriceBands.bandingPrice(7, 7)).isEqualTo(7);
    assertThat(PriceBands.bandingPrice(Long.MAX_VALUE - 1, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE - 1);
  }

  @Test
  void bandsIncludeTheirLowAndExcludeTheirHigh() {
    assertThat(BANDS.bandOf(Intent.BUY, 0)).isEqualTo(new PriceBand(0, 500_000));
    assertThat(BANDS.bandOf(Intent.BUY, 499_999)).isEqualTo(new PriceBand(0, 500_000));
    assertThat(BANDS.bandOf(Intent.BUY, 500_000)).isEqualTo(new PriceBand(500_000, 1_000_000));
    assertThat(BANDS.bandOf(Intent.BUY, 1_999_999)).isEqualTo(new PriceBand(1_000_000, 2_000_000));
    assertThat(BANDS.bandOf(Intent.BUY, 2_000_000)).isEqualTo(new PriceBand(2_000_000, PriceBand.OPEN));
    assertThat(BANDS.bandOf(Intent.BUY, Long.MAX_VALUE)).isEqualTo(new PriceBand(2_000_000, PriceBand.OPEN));
  }

  @Test
  void rentIsBandedByItsOwnWeeklyBands() {
    assertThat(BANDS.bandOf(Intent.RENT, 450)).isEqualTo(new PriceBand(400, 600));
    assertThat(BANDS.bandOf(Intent.BUY, 450)).isEqualTo(new PriceBand(0, 500_000));
    assertThat(BANDS.bandOf(Intent.RENT, 750_000)).isEqualTo(new PriceBand(1000, PriceBand.OPEN));
    assertThat(BANDS.bands(Intent.RENT)).extracting(PriceBand::label)
        .containsExactly("0-400", "400-600", "600-1000", "1000-plus");
  }

  @Test
  void bucketsSplitABandIntoEqualWidths() {
    PriceBand band = new PriceBand(500_000, 1_000_000);
    assertThat(BANDS.bucketRanges(Intent.BUY, band)).containsExactly(
        new PriceBand(500_000, 625_000), new PriceBand(625_000, 750_000), new PriceBand(750_000, 875_000),
        new PriceBand(875_000, 1_000_000));
    assertThat(BANDS.bucketOf(Intent.BUY, band, 500_000)).isZero();
    assertThat(BANDS.bucketOf(Intent.BUY, band, 624_999)).isZero();
    assertThat(BANDS.bucketOf(Intent.BUY, band, 625_000)).isEqualTo(1);
    assertThat(BANDS.bucketOf(Intent.BUY, band, 999_999)).isEqualTo(3);
  }

  @Test
  void anOpenBandBorrowsTheSpanBelowItAndItsLastBucketIsOpen() {
    PriceBand open = new PriceBand(1000, PriceBand.OPEN); // rent: the band below is 600-1000, a span of 400
    assertThat(BANDS.bucketRanges(Intent.RENT, open)).containsExactly(new PriceBand(1000, 1100),
        new PriceBand(1100, 1200), new PriceBand(1200, 1300), new PriceBand(1300, PriceBand.OPEN));
    assertThat(BANDS.bucketOf(Intent.RENT, open, 1099)).isZero();
    assertThat(BANDS.bucketOf(Intent.RENT, open, 1300)).isEqualTo(3);
    assertThat(BANDS.bucketOf(Intent.RENT, open, 50_000)).isEqualTo(3);
  }

  @Test
  void bucketRangesAndBucketOfAgreeWhenTheSpanDoesNotDivide() {
    PriceBands odd = PriceBands.of(Map.of(Intent.RENT, List.of(0L, 10L, 23L), Intent.BUY, List.of(0L, 7L),
        Intent.SELL, List.of(0L, 7L), Intent.INVEST, List.of(0L, 7L)), 3);
    for (Intent intent : Intent.values()) {
      for (PriceBand band : odd.bands(intent)) {
        List<PriceBand> ranges = odd.bucketRanges(intent, band);
        assertThat(ranges).hasSize(3);
        long top = band.open() ? band.low() + 50 : band.high();
        for (long p = band.low(); p < top; p++) {
          int bucket = odd.bucketOf(intent, band, p);
          assertThat(ranges.get(bucket).contains(p)).as("%s %s %d", intent, band, p).isTrue();
        }
        for (int i = 1; i < ranges.size(); i++) assertThat(ranges.get(i).low()).isEqualTo(ranges.get(i - 1).high());
      }
    }
  }

  @Test
  void theReferenceConfigMakesBandsForEveryIntent() {
    Settings.SegmentSettings settings = Settings.load().segments();
    PriceBands bands = PriceBands.from(settings);
    assertThat(bands.buckets()).isEqualTo(settings.priceBuckets());
    assertThat(bands.bandOf(Intent.RENT, 650).label()).isEqualTo("600-800");
    assertThat(bands.bandOf(Intent.INVEST, 1_200_000).label()).isEqualTo("1000000-1500000");
    SegmentRules rules = SegmentRules.from(settings);
    assertThat(rules.minAudience()).isEqualTo(settings.minAudience());
    assertThat(rules.activityWindow()).isEqualTo(Duration.ofDays(30));
  }

  @Test
  void aMissingOrUnknownIntentIsRefused() {
    assertThatThrownBy(() -> PriceBands.of(Map.of(Intent.RENT, List.of(0L, 400L)), 1))
        .hasMessageContaining("no price bands for intent");
    Settings.SegmentSettings base = Settings.load().segments();
    Map<String, List<Long>> bands = new java.util.HashMap<>(base.priceBands());
    bands.put("lease", List.of(0L, 400L));
    Settings.SegmentSettings unknown = new Settings.SegmentSettings(base.minAudience(), base.activityWindow(),
        base.scanSegments(), base.priceBuckets(), bands, base.stream(), base.generator(), base.consumer());
    assertThatThrownBy(() -> PriceBands.from(unknown))
        .hasMessageContaining("audience.segments.price-bands.lease is not an intent");
  }
}
