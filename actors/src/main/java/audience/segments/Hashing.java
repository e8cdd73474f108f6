package audience.segments;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 in lower-case hex: checksums of metadata bytes, and the short hashes in segment and generation ids. */
final class Hashing {
  private static final String ALGORITHM = "SHA-256";

  private Hashing() {}

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(ALGORITHM).digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(ALGORITHM + " is required of every JVM", e);
    }
  }

  static String sha256Hex(String text) {
    return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
  }
}
