package audience.contract;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectReader;

import java.io.IOException;

/**
 * A file that passed the byte-level checks of {@link FileDecoder}: within the size limit, inflated
 * when it was gzip, strict UTF-8, byte order mark skipped. {@link StrictJson} reads it.
 *
 * <p>Indexes ({@link #length()}, {@link #charAt}) count in the units Jackson's offsets count for
 * the parser {@link #open} creates (bytes for {@link Ascii}, chars for {@link Chars}), both from
 * the first unit after a byte order mark, so that an error location can be compared with them.
 */
sealed interface DecodedText permits DecodedText.Ascii, DecodedText.Chars {

  /** Appended to details whose offsets refer to inflated bytes, not to the stored file. */
  String DECOMPRESSED = " of the decompressed content";

  /** The content's size in bytes (after gunzip, byte order mark included). */
  int byteLength();

  /** True when the bytes came out of gunzip. */
  boolean decompressed();

  /** How many units follow the byte order mark. */
  int length();

  /** The unit at {@code index} (0 is the first after a byte order mark), as a char. */
  char charAt(int index);

  /** A parser over the whole text. */
  JsonParser open(ObjectReader reader) throws IOException;

  /** {@link #DECOMPRESSED} or nothing, for details that give an offset. */
  default String origin() {
    return origin(decompressed());
  }

  static String origin(boolean decompressed) {
    return decompressed ? DECOMPRESSED : "";
  }

  /**
   * Pure ASCII after the byte order mark (by far the common case): Jackson reads the bytes as they
   * are, which spares decoding into a char array of the file's size.
   *
   * @param bytes the content; {@code from} is 0, or 3 after a byte order mark
   * @param to the content's length in bytes
   */
  record Ascii(byte[] bytes, int from, int to, boolean decompressed) implements DecodedText {
    @Override
    public int byteLength() {
      return to;
    }

    @Override
    public int length() {
      return to - from;
    }

    @Override
    public char charAt(int index) {
      return (char) bytes[from + index]; // ASCII: no sign to mask
    }

    @Override
    public JsonParser open(ObjectReader reader) throws IOException {
      return reader.createParser(bytes, from, to - from);
    }
  }

  /**
   * Content with non-ASCII characters, already decoded by the strict decoder of {@link
   * FileDecoder}: Jackson's own UTF-8 reading accepts overlong forms and encoded surrogates, and
   * reports what it does refuse as a JSON error, not as {@link RejectionKind#INVALID_UTF8}.
   *
   * @param count how many of {@code chars} hold the text
   */
  record Chars(char[] chars, int count, int byteLength, boolean decompressed)
      implements DecodedText {
    @Override
    public int length() {
      return count;
    }

    @Override
    public char charAt(int index) {
      return chars[index];
    }

    @Override
    public JsonParser open(ObjectReader reader) throws IOException {
      return reader.createParser(chars, 0, count);
    }
  }
}
