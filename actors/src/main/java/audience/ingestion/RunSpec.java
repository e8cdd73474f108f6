package audience.ingestion;

import audience.CborSerializable;

/**
 * What a run ingests: every object under {@code prefix} in {@code bucket}, or, for a redrive, the files the run
 * {@code redriveOf} quarantined (null for any other run; journals from before the field read it as null).
 * {@code expectedFiles} is -1 when the trigger did not say; {@code origin} tells who started it (sns, ops, redrive).
 */
public record RunSpec(String runId, String bucket, String prefix, long expectedFiles, String origin, String redriveOf)
    implements CborSerializable {
  public static final long UNKNOWN = -1;

  /** A run over a prefix (not a redrive). */
  public RunSpec(String runId, String bucket, String prefix, long expectedFiles, String origin) {
    this(runId, bucket, prefix, expectedFiles, origin, null);
  }

  public RunSpec {
    if (runId == null || !runId.matches(RunIds.PATTERN)) {
      throw new IllegalArgumentException("runId must match " + RunIds.PATTERN + ", got " + runId);
    }
    if (bucket == null || bucket.isBlank()) throw new IllegalArgumentException("bucket is required");
    if (prefix == null) prefix = "";
    if (expectedFiles < UNKNOWN) throw new IllegalArgumentException("expectedFiles must be >= 0, got " + expectedFiles);
    if (redriveOf != null && !redriveOf.matches(RunIds.PATTERN)) {
      throw new IllegalArgumentException("redriveOf must be a run id (" + RunIds.PATTERN + "), got " + redriveOf);
    }
  }
}
