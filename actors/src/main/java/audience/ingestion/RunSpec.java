package audience.ingestion;

import audience.CborSerializable;

/**
 * What a run ingests: every object under {@code prefix} in {@code bucket}.
 * {@code expectedFiles} is -1 when the trigger did not say; {@code origin} tells who started it (sns, ops, cli).
 */
public record RunSpec(String runId, String bucket, String prefix, long expectedFiles, String origin)
    implements CborSerializable {
  public static final long UNKNOWN = -1;

  public RunSpec {
    if (runId == null || !runId.matches(RunIds.PATTERN)) {
      throw new IllegalArgumentException("runId must match " + RunIds.PATTERN + ", got " + runId);
    }
    if (bucket == null || bucket.isBlank()) throw new IllegalArgumentException("bucket is required");
    if (prefix == null) prefix = "";
    if (expectedFiles < UNKNOWN) throw new IllegalArgumentException("expectedFiles must be >= 0, got " + expectedFiles);
  }
}
