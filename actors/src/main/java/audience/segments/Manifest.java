package audience.segments;

import audience.store.SegmentStore.SegmentRow;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * The manifest of one generation, what the front end reads: every segment of the generation with the key, size and
 * checksum of its metadata document. Written to {@code manifest/<generation>.json} once every listed document is in
 * S3, and only then copied to {@link #LATEST_KEY}, so a reader never sees a manifest that lists a document not yet
 * written, nor a half-written one (an S3 PUT is atomic). Compact UTF-8 JSON, fields in record order, segments by id.
 *
 * @param sourceCompletedAt when the source run completed: a generation replaces latest only if it is not older
 */
@JsonPropertyOrder({"version", "generationId", "sourceRunId", "dataTime", "generatedAt", "sourceCompletedAt",
    "segmentCount", "segments"})
public record Manifest(int version, String generationId, String sourceRunId, Instant dataTime, Instant generatedAt,
                       Instant sourceCompletedAt, int segmentCount, List<Entry> segments) {
  public static final int FORMAT_VERSION = 1;
  public static final String LATEST_KEY = "manifest/latest.json";
  private static final String MANIFEST_PREFIX = "manifest/";
  private static final String METADATA_PREFIX = "metadata/";
  private static final String JSON_SUFFIX = ".json";

  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** One segment: where its metadata document is, its size and SHA-256, and the key parts a list shows. */
  @JsonPropertyOrder({"segmentId", "metadataKey", "bytes", "checksum", "audienceSize", "state", "suburb", "intent",
      "propertyType", "priceBand"})
  public record Entry(String segmentId, String metadataKey, long bytes, String checksum, long audienceSize,
                      String state, String suburb, String intent, String propertyType, String priceBand) {
    static Entry of(SegmentRow r) {
      return new Entry(r.segmentId(), r.metadataKey(), r.bytes(), r.checksum(), r.audience(), r.state(), r.suburb(),
          r.intent(), r.propertyType(), r.priceBand());
    }
  }

  public Manifest {
    segments = segments.stream().sorted(Comparator.comparing(Entry::segmentId)).toList();
  }

  /** The manifest of a generation from the read model's rows of its segments. */
  public static Manifest of(String generationId, String sourceRunId, Instant dataTime, Instant generatedAt,
                            Instant sourceCompletedAt, List<SegmentRow> rows) {
    List<Entry> entries = rows.stream().map(Entry::of).toList();
    return new Manifest(FORMAT_VERSION, generationId, sourceRunId, dataTime, generatedAt, sourceCompletedAt,
        entries.size(), entries);
  }

  /** {@code manifest/<generation>.json}. */
  public static String key(String generationId) {
    return MANIFEST_PREFIX + generationId + JSON_SUFFIX;
  }

  /** {@code metadata/<generation>/<segmentId>.json}: where a segment's metadata document lives. */
  public static String metadataKey(String generationId, String segmentId) {
    return METADATA_PREFIX + generationId + "/" + segmentId + JSON_SUFFIX;
  }

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Manifest fromJson(byte[] json) {
    try {
      return JSON.readValue(json, Manifest.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
