package audience.ingestion;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Run ids: derived from what identifies an upload, so a trigger delivered twice names the same run. */
public final class RunIds {
  public static final String PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,79}";
  private static final int HASH_CHARS = 16;
  private static final String REDRIVE_SEPARATOR = "-r";

  private RunIds() {}

  /** The same (bucket, prefix, upload id) always gives the same run id. */
  public static String forUpload(String bucket, String prefix, String uploadId) {
    return "run-" + sha256(bucket + "\n" + prefix + "\n" + uploadId).substring(0, HASH_CHARS);
  }

  /**
   * The id of a run's {@code n}-th redrive (1-based): {@code <runId>-r<n>}. Deterministic, so two requests for the same
   * redrive name the same run and start it once.
   */
  public static String forRedrive(String runId, int n) {
    String id = runId + REDRIVE_SEPARATOR + n;
    if (!id.matches(PATTERN)) {
      throw new IllegalArgumentException("run " + runId + " cannot be redriven: redrive run id " + id
          + " would not be a run id (" + PATTERN + "); redrive an earlier run of its chain");
    }
    return id;
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
