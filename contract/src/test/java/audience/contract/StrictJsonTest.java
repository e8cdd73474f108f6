package audience.contract;

import static audience.contract.ContractFixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;
import java.util.Set;

class StrictJsonTest {

  /** Jackson's default limit on nesting and on the digits of a number. */
  private static final int JACKSON_LIMIT = 1000;

  private final StrictJson json = new StrictJson(ContractFixtures.JSON, Set.of("email"));

  /** {@code s} as the file decoder hands it on: bytes when ASCII, chars otherwise. */
  private static DecodedText text(String s) {
    byte[] b = utf8(s);
    return b.length == s.length()
        ? new DecodedText.Ascii(b, 0, b.length, false)
        : new DecodedText.Chars(s.toCharArray(), s.length(), b.length, false);
  }

  private JsonNode read(String s) throws Rejected {
    return json.read(text(s));
  }

  private String reason(DecodedText t) {
    try {
      json.read(t);
    } catch (Rejected r) {
      return r.rejection().reason().replaceFirst("column [0-9]+$", "column N");
    }
    throw new AssertionError("expected a rejection");
  }

  private String reason(String s) {
    return reason(text(s));
  }

  @Test
  void anyOneValueIsReturnedWhateverItsType() throws Rejected {
    assertThat(read("[1,2]").isArray()).isTrue();
    assertThat(read(" 42 ").intValue()).isEqualTo(42);
    assertThat(read("null").isNull()).isTrue(); // a value, not "nothing"
    assertThat(read("\t{\"a\":{}}\r\n").get("a").isObject()).isTrue();
    assertThat(reason(" \r\n\t")).isEqualTo("EMPTY: no JSON value (whitespace only)");
  }

  @Test
  void duplicateNamesAreRefusedAtAnyDepth() {
    assertThat(reason("{\"a\":{\"b\":1,\"b\":1}}"))
        .isEqualTo("NOT_JSON: duplicate field \"b\" at line 1, column N");
    assertThat(reason("{\"a\":[{\"c\":1},{\"c\":1,\"c\":2}]}"))
        .startsWith("NOT_JSON: duplicate field \"c\"");
  }

  @Test
  void onlyStandardNumberFormsAreRead() throws Rejected {
    for (String bad : List.of("01", "+1", ".5", "1.", "NaN", "-Infinity", "0x1F")) {
      assertThat(reason("{\"a\":" + bad + "}")).as(bad).startsWith("NOT_JSON: ");
    }
    assertThat(read("{\"a\":99999999999999999999}").get("a").bigIntegerValue())
        .isEqualTo(new BigInteger("99999999999999999999")); // exact, for a precise range detail
    assertThat(read("{\"a\":-0}").get("a").isIntegralNumber()).isTrue();
    // a fraction or an exponent makes a decimal, which no integer field accepts
    assertThat(read("{\"a\":3.0}").get("a").isIntegralNumber()).isFalse();
    assertThat(read("{\"a\":1e1}").get("a").isIntegralNumber()).isFalse();
  }

  @Test
  void lenientSyntaxIsRefused() {
    for (String bad : List.of("{/*c*/\"a\":1}", "{'a':1}", "{a:1}", "{\"a\":[1,]}", "{\"a\":1,}",
        "{\"a\":\"x\ny\"}", "{\"a\":\"\\q\"}", "{\"a\":1}//c")) {
      assertThat(reason(bad)).as(bad).startsWith("NOT_JSON: ");
    }
  }

  @Test
  void nestingAndNumberLengthHaveLimits() throws Rejected {
    assertThat(read("[".repeat(JACKSON_LIMIT) + "]".repeat(JACKSON_LIMIT)).isArray()).isTrue();
    String deeper = "[".repeat(JACKSON_LIMIT + 1) + "]".repeat(JACKSON_LIMIT + 1);
    assertThat(reason(deeper))
        .startsWith("NOT_JSON: document nesting depth (1001) exceeds the maximum allowed (1000");
    assertThat(read("[" + "9".repeat(JACKSON_LIMIT) + "]").isArray()).isTrue();
    assertThat(reason("[" + "9".repeat(JACKSON_LIMIT + 1) + "]"))
        .startsWith("NOT_JSON: number value length (1001) exceeds the maximum allowed (1000");
  }

  @Test
  void onlyWhitespaceMayFollowTheValue() throws Rejected {
    assertThat(read("{\"a\":1} \n\t").get("a").intValue()).isEqualTo(1);
    assertThat(reason("{\"a\":1}\n}"))
        .isEqualTo("NOT_JSON: unexpected content after the JSON value at line 2, column N");
    assertThat(reason("[1] [2]")).startsWith("NOT_JSON: unexpected content after the JSON value");
    assertThat(reason("[1] \"x")).startsWith("NOT_JSON: unexpected content after the JSON value");
  }

  @Test
  void aValueCutAtTheEndIsTruncatedWhereverJacksonNoticesIt() {
    for (String cut : List.of("{", "{\"a\"", "{\"a\":", "{\"a\":\"x", "[1,", "{\"a\":tr",
        "{\"a\":fals", "[nul", "[12.", "[1e", "[1e+", "[-")) {
      assertThat(reason(cut)).as(cut)
          .isEqualTo("TRUNCATED: unexpected end of input at byte " + cut.length());
    }
    // a bad token that is not a prefix, or one with whitespace after it, is no cut
    assertThat(reason("[tru ")).startsWith("NOT_JSON: ");
    assertThat(reason("[trux")).startsWith("NOT_JSON: ");
    assertThat(reason("[1e ")).startsWith("NOT_JSON: ");
  }

  @Test
  void aCutCountsBytesAndSaysWhenTheyWereInflated() {
    // "é" is one char but two bytes; and a byte order mark before the text counts as bytes too
    assertThat(reason(text("[\"é\",tr")))
        .isEqualTo("TRUNCATED: unexpected end of input at byte 8");
    byte[] afterBom = utf8("\u0000\u0000\u0000[fa");
    assertThat(reason(new DecodedText.Ascii(afterBom, 3, afterBom.length, true))).isEqualTo(
        "TRUNCATED: unexpected end of input at byte 6 of the decompressed content");
    char[] chars = "[\"é\",n".toCharArray();
    assertThat(reason(new DecodedText.Chars(chars, chars.length, 11, true))).isEqualTo(
        "TRUNCATED: unexpected end of input at byte 11 of the decompressed content");
  }

  @Test
  void nothingInsideAPersonalFieldIsRepeated() {
    String hidden = "NOT_JSON: invalid JSON in the value of \"email\" (not shown: personal data)"
        + " at line 1, column N";
    assertThat(reason("{\"email\":olivia}")).isEqualTo(hidden);
    assertThat(reason("{\"a\":{\"email\":[1,olivia]}}")).isEqualTo(hidden);
    assertThat(reason("{\"email\":\"oli\\via\"}")).isEqualTo(hidden);
    // elsewhere Jackson's message stays, token and all: it tells what to fix
    assertThat(reason("{\"name\":olivia}")).startsWith("NOT_JSON: unrecognized token 'olivia'");
  }
}
