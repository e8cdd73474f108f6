package audience.segments;

import java.util.Objects;

/**
 * The id of one segment generation: a function of the ingestion run it counts, so that generating again for the same
 * run (a redelivered done event, a restart) gives the same id and overwrites rather than duplicates. {@code g-}
 * followed by the first {@value #HASH_HEX} hex digits of SHA-256 over {@code "segments/v1\n" + runId}: safe in a URL
 * path and an S3 key whatever the run id holds.
 */
public record GenerationId(String value) {
  static final String PREFIX = "g-";
  static final int HASH_HEX = 20;
  /** Salts the hash; a new version of the generation rules would change it (and so every id). */
  static final String DERIVATION = "segments/v1\n";

  public GenerationId {
    Objects.requireNonNull(value, "value");
  }

  public static GenerationId of(String runId) {
    Objects.requireNonNull(runId, "runId");
    return new GenerationId(PREFIX + Hashing.sha256Hex(DERIVATION + runId).substring(0, HASH_HEX));
  }

  @Override
  public String toString() {
    return value;
  }
}
