package audience.segments;

import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.PropertyType;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SegmentKeyTest {
  private static final PriceBand BAND = new PriceBand(750_000, 1_000_000);
  private static final String URL_SAFE = "[a-z0-9~-]+";

  private static SegmentKey key(String suburb) {
    return new SegmentKey(AuState.NSW, suburb, Intent.BUY, PropertyType.APARTMENT, BAND);
  }

  @Test
  void theIdIsTheDocumentedSlugOfItsParts() {
    // A literal: a change of the id format breaks every stored S3 key and booking, so it must be deliberate.
    assertThat(key("Surry Hills").id()).isEqualTo("nsw~surry-hills-7ea0ece8~buy~apartment~750000-1000000");
    assertThat(new SegmentKey(AuState.ACT, "Braddon", Intent.RENT, PropertyType.HOUSE,
        new PriceBand(1500, PriceBand.OPEN)).id()).startsWith("act~braddon-").endsWith("~rent~house~1500-plus");
  }

  @Test
  void theIdIsStableAcrossInstances() {
    assertThat(key("Surry Hills").id()).isEqualTo(key(new String("Surry Hills")).id());
  }

  @Test
  void suburbsWithOneSlugStillHaveTwoIds() {
    List<String> suburbs = List.of("St Ives", "St. Ives", "st ives", "ST IVES", "St  Ives", "Saint Ives");
    Set<String> ids = new HashSet<>();
    for (String s : suburbs) ids.add(key(s).id());
    assertThat(ids).hasSize(suburbs.size());
    assertThat(key("St Ives").id()).isEqualTo("nsw~st-ives-b311d1b3~buy~apartment~750000-1000000");
    assertThat(key("St. Ives").id()).isEqualTo("nsw~st-ives-d4770491~buy~apartment~750000-1000000");
  }

  @Test
  void everyPartSeparatesIds() {
    Set<String> ids = new HashSet<>();
    int keys = 0;
    for (AuState st : AuState.values()) {
      for (Intent in : Intent.values()) {
        for (PropertyType pt : PropertyType.values()) {
          for (PriceBand b : SegmentFixtures.BANDS.bands(in)) {
            for (String suburb : List.of("Bondi", "Bondi Junction", "Newtown")) {
              ids.add(new SegmentKey(st, suburb, in, pt, b).id());
              keys++;
            }
          }
        }
      }
    }
    assertThat(ids).hasSize(keys);
    assertThat(ids).allMatch(id -> id.matches(URL_SAFE));
  }

  @Test
  void accentsPunctuationAndOtherScriptsGiveUrlSafeIds() {
    assertThat(key("Sainte-Thérèse's Beach").id()).startsWith("nsw~sainte-therese-s-beach-").matches(URL_SAFE);
    String chinese = key("悉尼").id();
    assertThat(chinese).matches(URL_SAFE).matches("nsw~[0-9a-f]{8}~buy~apartment~750000-1000000");
    assertThat(key("  --Bondi--  ").id()).startsWith("nsw~bondi-");
  }

  @Test
  void aLongSuburbIsCutButStaysUnique() {
    String longName = "Llanfair ".repeat(50);
    String a = key(longName + "A").id();
    String b = key(longName + "B").id();
    assertThat(a).isNotEqualTo(b).matches(URL_SAFE);
    String suburbPart = a.split("~")[1];
    assertThat(suburbPart).hasSizeLessThanOrEqualTo(SegmentKey.MAX_SLUG + 1 + SegmentKey.SUBURB_HASH_HEX)
        .doesNotContain("--");
  }

  @Test
  void aBandLabelParsesBack() {
    assertThat(PriceBand.parse(BAND.label())).isEqualTo(BAND);
    PriceBand open = new PriceBand(3_000_000, PriceBand.OPEN);
    assertThat(open.label()).isEqualTo("3000000-plus");
    assertThat(PriceBand.parse(open.label())).isEqualTo(open);
  }
}
