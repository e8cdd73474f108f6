package audience.generator;

/**
 * What to generate.
 *
 * @param files number of files, at least 0
 * @param badFiles how many of them violate the contract, 0..files
 * @param seed any value; the same spec always yields the same bytes
 * @param bucket S3 bucket (3..63 characters of lower-case letters, digits, dots and hyphens,
 *     starting and ending with a letter or digit)
 * @param prefix key prefix: empty, or ending with "/" (no leading "/", no "//")
 * @param gzipShare fraction of files stored gzipped as {@code .json.gz}, 0..1
 */
public record GeneratorSpec(
    int files, int badFiles, long seed, String bucket, String prefix, double gzipShare) {

  /** The bucket of {@code audience.raw-bucket} in reference.conf. */
  public static final String DEFAULT_BUCKET = "audience-raw";

  public GeneratorSpec {
    if (files < 0) {
      throw new IllegalArgumentException("files must be >= 0, was " + files);
    }
    if (badFiles < 0 || badFiles > files) {
      throw new IllegalArgumentException(
          "badFiles must be in 0..files (" + files + "), was " + badFiles);
    }
    if (bucket == null || !isValidBucketName(bucket)) {
      throw new IllegalArgumentException(
          "bucket must be 3..63 characters of a-z, 0-9, '.', '-', starting and ending with a"
              + " letter or digit, was " + (bucket == null ? "null" : "\"" + bucket + "\""));
    }
    if (prefix == null) {
      throw new IllegalArgumentException("prefix must not be null (use \"\" for none)");
    }
    if (!prefix.isEmpty()
        && (!prefix.endsWith("/") || prefix.startsWith("/") || prefix.contains("//"))) {
      throw new IllegalArgumentException(
          "prefix must be empty or end with \"/\" (no leading \"/\", no \"//\"), was \""
              + prefix + "\"");
    }
    if (!(gzipShare >= 0.0 && gzipShare <= 1.0)) { // also rejects NaN
      throw new IllegalArgumentException("gzipShare must be in 0..1, was " + gzipShare);
    }
  }

  /** A spec with the default bucket, no prefix and a 20 % gzip share. */
  public static GeneratorSpec of(int files, int badFiles, long seed) {
    return new GeneratorSpec(files, badFiles, seed, DEFAULT_BUCKET, "", 0.2);
  }

  private static boolean isValidBucketName(String b) {
    int n = b.length();
    if (n < 3 || n > 63 || !isLowerAlnum(b.charAt(0)) || !isLowerAlnum(b.charAt(n - 1))) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = b.charAt(i);
      if (!isLowerAlnum(c) && c != '-' && c != '.') {
        return false;
      }
    }
    return !b.contains("..");
  }

  private static boolean isLowerAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }
}
