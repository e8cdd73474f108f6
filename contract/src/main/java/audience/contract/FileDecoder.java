package audience.contract;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * The byte-level stage of {@link ContractParser}: size limit, gzip and strict UTF-8, in that
 * order. Knows nothing of JSON. Immutable and thread-safe.
 *
 * <ol>
 *   <li>{@link RejectionKind#EMPTY} for zero bytes, {@link RejectionKind#OVERSIZE} above the limit;
 *   <li>gunzip when the key ends in {@code .gz} or the content starts with the gzip magic bytes
 *       ({@link RejectionKind#BAD_GZIP}); inflation stops as soon as the output passes the limit
 *       ({@link RejectionKind#OVERSIZE}, a guard against gzip bombs), and an empty result is
 *       {@link RejectionKind#EMPTY};
 *   <li>strict UTF-8 ({@link RejectionKind#INVALID_UTF8}, with the offset of the first malformed
 *       byte); a leading byte order mark is skipped.
 * </ol>
 */
final class FileDecoder {

  /**
   * The largest limit accepted: inflation needs an array of limit + 1 bytes, and JVMs refuse
   * arrays within a few header words of {@link Integer#MAX_VALUE}.
   */
  static final long MAX_LIMIT_BYTES = Integer.MAX_VALUE - 16;

  /** Keys with this suffix are gzip whatever their content starts with. */
  static final String GZIP_SUFFIX = ".gz";

  private static final int[] GZIP_MAGIC = {0x1f, 0x8b};
  private static final int[] UTF8_BOM = {0xEF, 0xBB, 0xBF};
  private static final int BYTE_MASK = 0xff;

  /** GZIPInputStream's internal read size; a power of two near a file system block. */
  private static final int GZIP_READ_BUFFER_BYTES = 4096;
  /**
   * The first guess at the inflated size: member files compress about this well, so most files
   * inflate without growing the buffer.
   */
  private static final long TYPICAL_GZIP_RATIO = 6;
  private static final long MIN_INFLATE_BUFFER_BYTES = 1024;

  private final long maxBytes;

  FileDecoder(long maxBytes) {
    if (maxBytes < 1 || maxBytes > MAX_LIMIT_BYTES) {
      throw new IllegalArgumentException(
          "maxBytes must be in 1.." + MAX_LIMIT_BYTES + ", was " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** The size limit, applied to stored and to decompressed bytes. */
  long maxBytes() {
    return maxBytes;
  }

  /**
   * Decodes one file.
   *
   * @param key the object key (only its {@code .gz} suffix matters); may be null
   * @param bytes the stored content; not modified, and retained by the result only when it is
   *     plain ASCII
   */
  DecodedText decode(String key, byte[] bytes) throws Rejected {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 0) {
      throw new Rejected(RejectionKind.EMPTY, "0 bytes");
    }
    if (bytes.length > maxBytes) {
      throw new Rejected(RejectionKind.OVERSIZE, bytes.length + " bytes > limit " + maxBytes);
    }
    boolean gzip = (key != null && key.endsWith(GZIP_SUFFIX)) || hasGzipMagic(bytes);
    if (!gzip) {
      return utf8(bytes, bytes.length, false);
    }
    Inflated inflated = gunzip(bytes);
    if (inflated.length() == 0) {
      throw new Rejected(RejectionKind.EMPTY, "0 bytes after gunzip");
    }
    return utf8(inflated.bytes(), inflated.length(), true);
  }

  /** True when the content starts with the gzip magic bytes 1f 8b. */
  static boolean hasGzipMagic(byte[] b) {
    return startsWith(b, b.length, GZIP_MAGIC);
  }

  // ---------------------------------------------------------------------------------------------
  // gzip

  private record Inflated(byte[] bytes, int length) {}

  private Inflated gunzip(byte[] gz) throws Rejected {
    try {
      Inflated inflated = inflateAtMost(gz, maxBytes);
      if (inflated == null) {
        throw new Rejected(
            RejectionKind.OVERSIZE,
            "decompressed size > limit " + maxBytes + " (stopped inflating at "
                + (maxBytes + 1) + " bytes)");
      }
      return inflated;
    } catch (EOFException e) {
      throw new Rejected(
          RejectionKind.BAD_GZIP, "truncated gzip stream (" + e.getMessage() + ")");
    } catch (IOException e) { // ZipException included: bad header, data or trailer
      String m = e.getMessage();
      throw new Rejected(RejectionKind.BAD_GZIP, m == null ? e.getClass().getSimpleName() : m);
    }
  }

  /** Inflates at most {@code limit} bytes; null when the content is larger. */
  private static Inflated inflateAtMost(byte[] gz, long limit) throws IOException {
    int cap = (int) limit + 1; // one byte more than allowed tells "too large"
    byte[] buf = new byte[(int) Math.min(
        cap, Math.max(MIN_INFLATE_BUFFER_BYTES, gz.length * TYPICAL_GZIP_RATIO))];
    int n = 0;
    try (GZIPInputStream in =
        new GZIPInputStream(new ByteArrayInputStream(gz), GZIP_READ_BUFFER_BYTES)) {
      while (true) {
        if (n == buf.length) {
          if (buf.length >= cap) {
            return null;
          }
          buf = Arrays.copyOf(buf, (int) Math.min(cap, buf.length * 2L));
        }
        int r = in.read(buf, n, buf.length - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
    }
    return n > limit ? null : new Inflated(buf, n);
  }

  // ---------------------------------------------------------------------------------------------
  // UTF-8

  private static DecodedText utf8(byte[] data, int length, boolean decompressed)
      throws Rejected {
    int start = startsWith(data, length, UTF8_BOM) ? UTF8_BOM.length : 0;
    if (isAscii(data, start, length)) {
      return new DecodedText.Ascii(data, start, length, decompressed);
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(data, start, length - start);
    CharBuffer out = CharBuffer.allocate(length - start); // UTF-8 never has fewer bytes than chars
    CoderResult r = decoder.decode(in, out, true);
    if (!r.isError()) {
      r = decoder.flush(out);
    }
    if (r.isError()) {
      // the buffer's position counts from the array's start, so the offset includes a BOM
      throw new Rejected(
          RejectionKind.INVALID_UTF8,
          "malformed byte sequence at offset " + in.position() + DecodedText.origin(decompressed));
    }
    return new DecodedText.Chars(out.array(), out.position(), length, decompressed);
  }

  private static boolean isAscii(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] < 0) {
        return false;
      }
    }
    return true;
  }

  /** True when the first {@code length} bytes of {@code b} start with {@code prefix}. */
  private static boolean startsWith(byte[] b, int length, int[] prefix) {
    if (length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((b[i] & BYTE_MASK) != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
