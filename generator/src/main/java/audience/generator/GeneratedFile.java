package audience.generator;

import java.util.Objects;

/**
 * One generated object. {@code body} is the exact stored content (already gzipped when {@code
 * gzip}); the array is not copied, do not modify it.
 */
public record GeneratedFile(String key, byte[] body, boolean gzip, Expectation expectation) {
  public GeneratedFile {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(expectation, "expectation");
  }
}
