package audience.segments;

import audience.contract.ActivityType;
import audience.contract.Intent;
import audience.segments.MemberRow.ActivityAt;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static audience.segments.SegmentFixtures.ACTIVE;
import static audience.segments.SegmentFixtures.RULES;
import static audience.segments.SegmentFixtures.aggregator;
import static audience.segments.SegmentFixtures.row;
import static audience.segments.SegmentFixtures.withActivity;
import static audience.segments.SegmentFixtures.withPrice;
import static org.assertj.core.api.Assertions.assertThat;

class SegmentMetadataTest {
  private static final Instant GENERATED_AT = Instant.parse("2025-06-30T01:02:03Z");

  private static SegmentMetadata metadata(MemberRow... rows) {
    SegmentAggregator agg = aggregator();
    for (MemberRow r : rows) agg.add(r);
    return SegmentMetadata.of(agg.aggregates().get(0), RULES, ACTIVE, GenerationId.of("run-1"), "run-1",
        GENERATED_AT);
  }

  @Test
  void theJsonHasItsFieldsInTheDocumentedOrder() {
    MemberRow r = withActivity(row("m-1"), List.of(new ActivityAt(ActivityType.VIEW, SegmentFixtures.RECENT)));
    String json = new String(metadata(r).toJson(), StandardCharsets.UTF_8);
    assertThat(json).isEqualTo("{\"version\":1,\"segmentId\":\"nsw~surry-hills-7ea0ece8~buy~apartment~500000-1000000\","
        + "\"state\":\"NSW\",\"suburb\":\"Surry Hills\",\"intent\":\"buy\",\"propertyType\":\"apartment\","
        + "\"priceBand\":\"500000-1000000\",\"priceLow\":500000,\"priceHigh\":1000000,\"audienceSize\":1,"
        + "\"bedrooms\":[0,0,1,0,0,0,0,0,0,0,0],\"priceDistribution\":[{\"low\":500000,\"high\":625000,\"count\":0},"
        + "{\"low\":625000,\"high\":750000,\"count\":0},{\"low\":750000,\"high\":875000,\"count\":1},"
        + "{\"low\":875000,\"high\":1000000,\"count\":0}],\"engagement\":{\"enquiries\":0,\"saves\":0,\"views\":1},"
        + "\"windowFrom\":\"2025-05-31T00:00:00Z\",\"dataTime\":\"2025-06-30T00:00:00Z\","
        + "\"generationId\":\"g-74ea5aa4a1fd65812bac\",\"sourceRunId\":\"run-1\","
        + "\"generatedAt\":\"2025-06-30T01:02:03Z\"}");
  }

  @Test
  void anOpenBandHasNoHighAndItsLastBucketIsOpen() {
    String json = new String(metadata(withPrice(row("m-1"), Intent.BUY, 5_000_000, 5_000_000)).toJson(),
        StandardCharsets.UTF_8);
    assertThat(json).contains("\"priceBand\":\"2000000-plus\",\"priceLow\":2000000,\"priceHigh\":null,")
        .contains("{\"low\":2750000,\"high\":null,\"count\":1}]");
  }

  @Test
  void theJsonReadsBackAndItsChecksumIsTheSha256OfTheBytes() {
    SegmentMetadata m = metadata(row("m-1"), row("m-2"));
    byte[] bytes = m.toJson();
    assertThat(SegmentMetadata.fromJson(bytes)).isEqualTo(m);
    assertThat(m.toJson()).isEqualTo(bytes);
    assertThat(SegmentMetadata.checksum("abc".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(SegmentMetadata.checksum(bytes)).hasSize(64).matches("[0-9a-f]+")
        .isNotEqualTo(SegmentMetadata.checksum(metadata(row("m-1")).toJson()));
  }

  @Test
  void noPersonalDataIsWritten() {
    String json = new String(metadata(row("m-secret1"), row("m-secret2")).toJson(), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("m-secret").doesNotContain("@").doesNotContain("email");
  }

  @Test
  void theGenerationIdIsAFunctionOfTheRun() {
    assertThat(GenerationId.of("run-1")).isEqualTo(GenerationId.of("run-1"));
    assertThat(GenerationId.of("run-1").value()).isEqualTo("g-74ea5aa4a1fd65812bac");
    assertThat(GenerationId.of("run-2")).isNotEqualTo(GenerationId.of("run-1"));
    assertThat(GenerationId.of("a/b c?#").value()).matches("g-[0-9a-f]{20}");
  }
}
