package audience.contract;

import static audience.contract.ContractFixtures.gzip;
import static audience.contract.ContractFixtures.utf8;
import static audience.contract.ContractFixtures.withBom;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

class FileDecoderTest {

  /** Room for a small gzip file: its header and trailer alone take 18 bytes. */
  private static final int LIMIT = 100;
  private final FileDecoder decoder = new FileDecoder(LIMIT);

  private static byte[] spaces(int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) ' ');
    return b;
  }

  private void assertRejected(String key, byte[] body, String reason) {
    assertThatExceptionOfType(Rejected.class)
        .isThrownBy(() -> decoder.decode(key, body))
        .withMessage(reason);
  }

  @Test
  void asciiIsHandedToJacksonAsTheStoredBytes() throws Rejected {
    byte[] body = utf8("{\"a\":1}");
    DecodedText text = decoder.decode("k.json", body);
    assertThat(text).isInstanceOf(DecodedText.Ascii.class);
    assertThat(((DecodedText.Ascii) text).bytes()).isSameAs(body); // no copy
    assertThat(text.length()).isEqualTo(body.length);
    assertThat(text.byteLength()).isEqualTo(body.length);
    assertThat(text.decompressed()).isFalse();
  }

  @Test
  void nonAsciiIsDecodedToChars() throws Rejected {
    DecodedText text = decoder.decode("k.json", utf8("\"Café\""));
    assertThat(text).isInstanceOf(DecodedText.Chars.class);
    assertThat(text.length()).isEqualTo(6); // chars
    assertThat(text.byteLength()).isEqualTo(7); // é is two bytes
    assertThat(text.charAt(4)).isEqualTo('é');
  }

  @Test
  void aByteOrderMarkIsSkippedButCountsInTheByteLength() throws Rejected {
    DecodedText ascii = decoder.decode("k.json", withBom(utf8("[1]")));
    assertThat(ascii).isInstanceOf(DecodedText.Ascii.class);
    assertThat(ascii.length()).isEqualTo(3);
    assertThat(ascii.charAt(0)).isEqualTo('[');
    assertThat(ascii.byteLength()).isEqualTo(6);

    DecodedText chars = decoder.decode("k.json", withBom(utf8("\"é\"")));
    assertThat(chars).isInstanceOf(DecodedText.Chars.class);
    assertThat(chars.charAt(0)).isEqualTo('"');
    assertThat(chars.byteLength()).isEqualTo(7);
  }

  @Test
  void aMalformedByteIsReportedAtItsOffsetInTheFile() {
    byte[] body = withBom(utf8("[\"ab\"]"));
    body[5] = (byte) 0xFF; // the b, counting the byte order mark
    assertRejected("k.json", body, "INVALID_UTF8: malformed byte sequence at offset 5");
    assertRejected("k.json.gz", gzip(body),
        "INVALID_UTF8: malformed byte sequence at offset 5 of the decompressed content");
  }

  @Test
  void gzipIsRecognisedByKeyOrByMagicBytes() throws Rejected {
    byte[] gz = gzip(utf8("[1]"));
    assertThat(FileDecoder.hasGzipMagic(gz)).isTrue();
    for (String key : new String[] {"k.json.gz", "k.json", null}) {
      DecodedText text = decoder.decode(key, gz);
      assertThat(text.decompressed()).as(key).isTrue();
      assertThat(text.length()).as(key).isEqualTo(3);
    }
    // the key alone is enough to demand gzip
    assertRejected("k.json.gz", utf8("[1]"), "BAD_GZIP: Not in GZIP format");
    assertThat(decoder.decode(null, utf8("[1]")).decompressed()).isFalse();
  }

  @Test
  void theLimitIsInclusiveForStoredAndForInflatedBytes() throws Rejected {
    assertThat(decoder.decode("k.json", spaces(LIMIT)).length()).isEqualTo(LIMIT);
    assertRejected("k.json", spaces(LIMIT + 1), "OVERSIZE: 101 bytes > limit 100");
    // spaces compress well, so these stored files are far below the limit their content reaches
    assertThat(decoder.decode("k.json.gz", gzip(spaces(LIMIT))).length()).isEqualTo(LIMIT);
    assertRejected("k.json.gz", gzip(spaces(LIMIT + 1)),
        "OVERSIZE: decompressed size > limit 100 (stopped inflating at 101 bytes)");
  }

  @Test
  void emptyBeforeAndAfterGunzip() {
    assertRejected("k.json", new byte[0], "EMPTY: 0 bytes");
    assertRejected("k.json.gz", gzip(new byte[0]), "EMPTY: 0 bytes after gunzip");
  }

  @Test
  void limitsOutsideTheArrayRangeAreRefused() {
    assertThat(new FileDecoder(1).maxBytes()).isEqualTo(1);
    assertThat(new FileDecoder(FileDecoder.MAX_LIMIT_BYTES).maxBytes())
        .isEqualTo(FileDecoder.MAX_LIMIT_BYTES);
    assertThatIllegalArgumentException().isThrownBy(() -> new FileDecoder(0));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new FileDecoder(FileDecoder.MAX_LIMIT_BYTES + 1))
        .withMessageContaining("maxBytes");
  }
}
