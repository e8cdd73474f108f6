package audience.segments;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The metadata of one interesting segment, as written to S3 for the front end (docs/segments.md). No personal data:
 * counts only, no member id or address.
 *
 * <p>JSON ({@link #toJson()}): compact UTF-8, fields in the order of this record, instants ISO-8601 in UTC; the
 * checksum of a file is {@link #checksum} of the exact bytes written.
 *
 * @param version the metadata format ({@value #FORMAT_VERSION})
 * @param segmentId {@link SegmentKey#id()}
 * @param state the key's parts: state (upper case), suburb (as spelled in the profiles), intent and property type
 *     (wire values), price band label, low and high ({@code null} for the open band)
 * @param audienceSize opted-in members active within the window
 * @param bedrooms members by bedrooms wanted: element n counts n bedrooms, n = 0..10
 * @param priceDistribution the audience by banding price, in equal-width buckets over the band (the last bucket of an
 *     open band has no high)
 * @param engagement the audience's enquiries, saves and views within the window
 * @param windowFrom the window's start (data time minus the activity window); the window includes both bounds
 * @param dataTime the run's data time, the window's end
 * @param generationId {@link GenerationId} of the source run
 * @param sourceRunId the ingestion run whose members were counted
 * @param generatedAt when this metadata was made
 */
@JsonPropertyOrder({"version", "segmentId", "state", "suburb", "intent", "propertyType", "priceBand", "priceLow",
    "priceHigh", "audienceSize", "bedrooms", "priceDistribution", "engagement", "windowFrom", "dataTime",
    "generationId", "sourceRunId", "generatedAt"})
public record SegmentMetadata(
    int version, String segmentId, String state, String suburb, String intent, String propertyType,
    String priceBand, long priceLow, Long priceHigh, long audienceSize, List<Long> bedrooms,
    List<PriceBucket> priceDistribution, Engagement engagement, Instant windowFrom, Instant dataTime,
    String generationId, String sourceRunId, Instant generatedAt) {

  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** One bucket of the price distribution: prices in {@code [low, high)}, {@code high} null when open. */
  @JsonPropertyOrder({"low", "high", "count"})
  public record PriceBucket(long low, Long high, long count) {}

  public SegmentMetadata {
    Objects.requireNonNull(segmentId, "segmentId");
    Objects.requireNonNull(engagement, "engagement");
    Objects.requireNonNull(generationId, "generationId");
    Objects.requireNonNull(sourceRunId, "sourceRunId");
    bedrooms = List.copyOf(bedrooms);
    priceDistribution = List.copyOf(priceDistribution);
  }

  /** The metadata of a counted segment, for generation {@code generationId} of run {@code sourceRunId}. */
  public static SegmentMetadata of(SegmentAggregate a, SegmentRules rules, ActivityWindow window,
                                   GenerationId generationId, String sourceRunId, Instant generatedAt) {
    SegmentKey k = a.key();
    PriceBand band = k.priceBand();
    List<PriceBand> ranges = rules.bands().bucketRanges(k.intent(), band);
    List<PriceBucket> buckets = new ArrayList<>(ranges.size());
    for (int i = 0; i < ranges.size(); i++) {
      PriceBand r = ranges.get(i);
      buckets.add(new PriceBucket(r.low(), highOrNull(r), a.priceBuckets().get(i)));
    }
    return new SegmentMetadata(FORMAT_VERSION, a.id(), k.state().wire(), k.suburb(), k.intent().wire(),
        k.propertyType().wire(), band.label(), band.low(), highOrNull(band), a.audience(), a.bedrooms(), buckets,
        a.engagement(), window.from(), window.to(), generationId.value(), sourceRunId, generatedAt);
  }

  private static Long highOrNull(PriceBand band) {
    return band.open() ? null : band.high();
  }

  /** The JSON bytes (UTF-8) written for this metadata. */
  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Metadata read back from {@link #toJson()}'s bytes. */
  public static SegmentMetadata fromJson(byte[] json) {
    try {
      return JSON.readValue(json, SegmentMetadata.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SHA-256 of {@code bytes}, lower-case hex: the checksum of a metadata file. */
  public static String checksum(byte[] bytes) {
    return Hashing.sha256Hex(bytes);
  }
}
