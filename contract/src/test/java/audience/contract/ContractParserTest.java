package audience.contract;

import static audience.contract.ContractFixtures.bytes;
import static audience.contract.ContractFixtures.gzip;
import static audience.contract.ContractFixtures.utf8;
import static audience.contract.ContractFixtures.validDoc;
import static audience.contract.ContractFixtures.with;
import static audience.contract.ContractFixtures.withBom;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

class ContractParserTest {

  private final ContractParser parser =
      new ContractParser(ContractFixtures.LIMITS, ContractFixtures.JSON);

  // ---------------------------------------------------------------------------------------------
  // helpers

  private MemberProfile valid(String key, byte[] body) {
    ParseResult r = parser.parse(key, body);
    assertThat(r).isInstanceOf(ParseResult.Valid.class);
    return ((ParseResult.Valid) r).profile();
  }

  /** The default limits with another size limit. */
  private static ContractLimits limitOf(long maxBytes) {
    return new ContractLimits(maxBytes, ContractFixtures.CLOCK, ContractLimits.DEFAULT_MAX_CLOCK_SKEW);
  }

  private String reason(String key, byte[] body) {
    return reason(parser, key, body);
  }

  private static String reason(ContractParser p, String key, byte[] body) {
    ParseResult r = p.parse(key, body);
    assertThat(r).as("expected a rejection").isInstanceOf(ParseResult.Invalid.class);
    return ((ParseResult.Invalid) r).rejection().reason();
  }

  private String reason(byte[] body) {
    return reason("2025-06-30/part-0000/m-abc123.json", body);
  }

  private static final MemberProfile EXPECTED = new MemberProfile("m-abc123",
      "olivia.smith@example.com.au", true, "Surry Hills", "2010", AuState.NSW, Intent.BUY,
      PropertyType.APARTMENT, 2, 750_000, 900_000, Instant.parse("2025-06-01T10:15:30Z"),
      List.of(
          new Activity(ActivityType.SEARCH, "l-1", Instant.parse("2025-05-30T08:00:00Z")),
          new Activity(ActivityType.ENQUIRY, "l-2", Instant.parse("2025-06-01T10:15:30.250Z"))));

  // ---------------------------------------------------------------------------------------------
  // valid files

  @Test
  void validFileParsesToTheRecord() {
    assertThat(valid("d/p/m-abc123.json", bytes(validDoc()))).isEqualTo(EXPECTED);
  }

  @Test
  void gzipByKeyAndByMagic() {
    byte[] gz = gzip(bytes(validDoc()));
    assertThat(valid("d/p/m-abc123.json.gz", gz)).isEqualTo(EXPECTED);
    assertThat(valid("d/p/m-abc123.json", gz)).isEqualTo(EXPECTED); // magic bytes
  }

  @Test
  void unknownFieldsAreIgnored() {
    byte[] body = with(m -> {
      m.put("schemaVersion", 1);
      m.put("nested", Map.of("a", List.of(1, 2, Map.of("b", "c"))));
      m.put("firstName", "Olivia");
    });
    assertThat(valid("k.json", body)).isEqualTo(EXPECTED);
  }

  @Test
  void activityIsOptionalAndNullMeansNone() {
    assertThat(valid("k.json", with(m -> m.remove("activity"))).activity()).isEmpty();
    assertThat(valid("k.json", with(m -> m.put("activity", null))).activity()).isEmpty();
    assertThat(valid("k.json", with(m -> m.put("activity", List.of()))).activity()).isEmpty();
  }

  @Test
  void nonAsciiUtf8AndByteOrderMarkAreAccepted() {
    byte[] body = with(m -> m.put("suburb", "Café Hill — Nørth"));
    assertThat(valid("k.json", body).suburb()).isEqualTo("Café Hill — Nørth");
    assertThat(valid("k.json", withBom(body)).suburb()).isEqualTo("Café Hill — Nørth");
  }

  @Test
  void instantsWithOffsetsAndBoundaryValues() {
    MemberProfile p = valid("k.json", with(m -> {
      m.put("lastActive", "2025-06-01T20:15:30+10:00");
      m.put("bedrooms", 0);
      m.put("priceMin", 0);
      m.put("priceMax", 0);
      m.put("state", "NT");
      m.put("postcode", "0800");
    }));
    assertThat(p.lastActive()).isEqualTo(Instant.parse("2025-06-01T10:15:30Z"));
    assertThat(p.bedrooms()).isZero();
    assertThat(p.postcode()).isEqualTo("0800");
    assertThat(valid("k.json", with(m -> m.put("bedrooms", 10))).bedrooms()).isEqualTo(10);
  }

  @Test
  void theResultIsImmutable() {
    MemberProfile p = valid("k.json", bytes(validDoc()));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> p.activity().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void oneParserServesManyThreads() {
    byte[] good = bytes(validDoc());
    byte[] bad = with(m -> m.put("bedrooms", 14));
    long ok = IntStream.range(0, 20_000).parallel()
        .filter(i -> parser.parse("k.json", i % 2 == 0 ? good : bad) instanceof ParseResult.Valid v
            && v.profile().equals(EXPECTED))
        .count();
    assertThat(ok).isEqualTo(10_000);
  }

  // ---------------------------------------------------------------------------------------------
  // one test per kind, kind and detail

  @Test
  void empty() {
    assertThat(reason(new byte[0])).isEqualTo("EMPTY: 0 bytes");
    assertThat(reason(utf8(" \r\n\t"))).isEqualTo("EMPTY: no JSON value (whitespace only)");
    assertThat(reason("k.json.gz", gzip(new byte[0]))).isEqualTo("EMPTY: 0 bytes after gunzip");
    assertThat(reason("k.json.gz", new byte[0])).isEqualTo("EMPTY: 0 bytes");
  }

  @Test
  void oversizeStored() {
    ContractParser small = new ContractParser(limitOf(1000));
    assertThat(reason(small, "k.json", new byte[1200])).isEqualTo("OVERSIZE: 1200 bytes > limit 1000");
    assertThat(reason(parser, "k.json", new byte[1_200_000]))
        .isEqualTo("OVERSIZE: 1200000 bytes > limit 1048576");
    // exactly at the limit is allowed through to the next checks
    byte[] atLimit = new byte[1000];
    Arrays.fill(atLimit, (byte) ' ');
    assertThat(reason(small, "k.json", atLimit)).startsWith("EMPTY");
  }

  @Test
  void oversizeDecompressedStopsInflatingAtTheLimit() {
    // a gzip bomb: 64 MiB of spaces is ~64 KiB compressed
    byte[] bomb = gzip(new byte[64 << 20]);
    assertThat(bomb.length).isLessThan((int) ContractParser.DEFAULT_MAX_BYTES);
    assertThat(reason("k.json.gz", bomb)).isEqualTo(
        "OVERSIZE: decompressed size > limit 1048576 (stopped inflating at 1048577 bytes)");
    // one byte over the limit after inflation
    ContractParser small = new ContractParser(limitOf(1000));
    byte[] doc = bytes(validDoc());
    byte[] padded = Arrays.copyOf(doc, 1001);
    Arrays.fill(padded, doc.length, padded.length, (byte) ' ');
    assertThat(reason(small, "k.json.gz", gzip(padded))).startsWith("OVERSIZE: decompressed");
    assertThat(small.parse("k.json.gz", gzip(Arrays.copyOf(padded, 1000))))
        .isInstanceOf(ParseResult.Valid.class);
  }

  @Test
  void invalidUtf8ReportsTheOffset() {
    byte[] body = utf8("{\"memberId\":\"m-abcd\"}");
    body[12] = (byte) 0xFF;
    assertThat(reason(body)).isEqualTo("INVALID_UTF8: malformed byte sequence at offset 12");
    byte[] latin1 = with(m -> m.put("suburb", "Caf~"));
    int at = new String(latin1, StandardCharsets.US_ASCII).indexOf('~');
    latin1[at] = (byte) 0xE9; // ISO-8859-1 e-acute followed by '"'
    assertThat(reason(latin1)).isEqualTo("INVALID_UTF8: malformed byte sequence at offset " + at);
    assertThat(reason("k.json.gz", gzip(latin1))).isEqualTo(
        "INVALID_UTF8: malformed byte sequence at offset " + at + " of the decompressed content");
    // an encoded surrogate (CESU-8) and an overlong slash are rejected too
    assertThat(reason(new byte[] {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}))
        .isEqualTo("INVALID_UTF8: malformed byte sequence at offset 2");
    assertThat(reason(new byte[] {'"', (byte) 0xC0, (byte) 0xAF, '"'}))
        .isEqualTo("INVALID_UTF8: malformed byte sequence at offset 1");
    // a multi-byte sequence cut at the end of the file
    assertThat(reason(new byte[] {'"', 'a', (byte) 0xE2, (byte) 0x82}))
        .isEqualTo("INVALID_UTF8: malformed byte sequence at offset 2");
  }

  /** Jackson's columns differ by one between versions (at or after the offending character). */
  private static String col(String reason) {
    return reason.replaceFirst("column [0-9]+$", "column N");
  }

  @Test
  void notJson() {
    assertThat(col(reason(utf8("{'memberId':'m-abcd'}")))).isEqualTo(
        "NOT_JSON: unexpected character (''' (code 39)): was expecting double-quote to start"
            + " field name at line 1, column N");
    assertThat(reason(utf8("memberId,email\nm-abcd,a@b.co\n"))).startsWith(
        "NOT_JSON: unrecognized token 'memberId': was expecting").containsPattern("at line 1, column [0-9]+$");
    assertThat(col(reason(utf8("{\"a\":1]")))).isEqualTo(
        "NOT_JSON: unexpected close marker ']': expected '}' at line 1, column N");
    assertThat(reason(utf8("{\"a\":tru}"))).startsWith("NOT_JSON: unrecognized token 'tru'");
    assertThat(reason(utf8("{\"a\":1,}"))).startsWith("NOT_JSON: unexpected character ('}'");
  }

  @Test
  void notJsonTrailingContentAndDuplicateFields() {
    assertThat(col(reason(utf8("{\"a\":1}\n}")))).isEqualTo(
        "NOT_JSON: unexpected content after the JSON value at line 2, column N");
    assertThat(col(reason(utf8("{\"a\":1} {\"b\":2}")))).isEqualTo(
        "NOT_JSON: unexpected content after the JSON value at line 1, column N");
    assertThat(reason(utf8("{\"a\":1} x"))).startsWith("NOT_JSON: unexpected content after");
    assertThat(col(reason(utf8("{\"email\":\"a@b.co\",\"email\":\"c@d.co\"}")))).isEqualTo(
        "NOT_JSON: duplicate field \"email\" at line 1, column N");
  }

  @Test
  void truncated() {
    byte[] full = bytes(validDoc());
    assertThat(reason(Arrays.copyOf(full, 57)))
        .isEqualTo("TRUNCATED: unexpected end of input at byte 57");
    assertThat(reason("k.json.gz", gzip(Arrays.copyOf(full, 57)))).isEqualTo(
        "TRUNCATED: unexpected end of input at byte 57 of the decompressed content");
    // the offset counts bytes, not characters
    byte[] accents = with(m -> m.put("memberId", "m-ééé"));
    int cut = new String(accents, StandardCharsets.UTF_8).indexOf("ééé") + 2; // chars
    byte[] prefix = new String(accents, StandardCharsets.UTF_8).substring(0, cut)
        .getBytes(StandardCharsets.UTF_8);
    assertThat(reason(prefix))
        .isEqualTo("TRUNCATED: unexpected end of input at byte " + prefix.length);
  }

  @Test
  void everyPrefixOfAValidFileIsTruncated() {
    String full = new String(with(m -> {
      m.put("x", -12.5e3);
      m.put("y", null);
      m.put("z", false);
      m.put("w", List.of(1, Map.of("q", List.of())));
    }), StandardCharsets.UTF_8);
    for (int n = 1; n < full.length(); n++) {
      assertThat(reason(utf8(full.substring(0, n))))
          .as("prefix %d: %s", n, full.substring(0, n))
          .startsWith("TRUNCATED: unexpected end of input at byte " + n);
    }
    // a literal or a number cut short at the very end
    assertThat(reason(utf8("{\"optIn\":tr"))).isEqualTo("TRUNCATED: unexpected end of input at byte 11");
    assertThat(reason(utf8("{\"priceMin\":12."))).startsWith("TRUNCATED");
    assertThat(reason(utf8("{\"priceMin\":1e"))).startsWith("TRUNCATED");
    assertThat(reason(utf8("{\"priceMin\":-"))).startsWith("TRUNCATED");
  }

  @Test
  void aByteOrderMarkDoesNotHideALiteralCutShort() {
    for (String prefix : List.of("{\"optIn\":tr", "{\"priceMin\":12.", "{\"suburb\":\"Café\",\"optIn\":fal")) {
      byte[] bom = withBom(utf8(prefix));
      assertThat(reason(bom)).as(prefix)
          .isEqualTo("TRUNCATED: unexpected end of input at byte " + bom.length);
    }
  }

  @Test
  void notAnObject() {
    assertThat(reason(utf8("[1,2]"))).isEqualTo("NOT_AN_OBJECT: root is an array, expected object");
    assertThat(reason(utf8("\"m-abcd\""))).isEqualTo("NOT_AN_OBJECT: root is a string, expected object");
    assertThat(reason(utf8("null"))).isEqualTo("NOT_AN_OBJECT: root is null, expected object");
    assertThat(reason(utf8(" 42 "))).isEqualTo("NOT_AN_OBJECT: root is an integer, expected object");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memberId", "email", "optIn", "suburb", "postcode", "state", "intent",
      "propertyType", "bedrooms", "priceMin", "priceMax", "lastActive"})
  void missingField(String field) {
    assertThat(reason(with(m -> m.remove(field)))).isEqualTo("MISSING_FIELD: " + field);
  }

  @Test
  void missingActivityField() {
    byte[] body = with(m -> m.put("activity", List.of(
        Map.of("type", "view", "listingId", "l-1", "at", "2025-06-01T00:00:00Z"),
        Map.of("type", "view", "at", "2025-06-01T00:00:00Z"))));
    assertThat(reason(body)).isEqualTo("MISSING_FIELD: activity[1].listingId");
  }

  @Test
  void wrongType() {
    assertThat(reason(with(m -> m.put("optIn", "true"))))
        .isEqualTo("WRONG_TYPE: optIn is a string, expected boolean");
    assertThat(reason(with(m -> m.put("email", null))))
        .isEqualTo("WRONG_TYPE: email is null, expected string");
    assertThat(reason(with(m -> m.put("postcode", 2010))))
        .isEqualTo("WRONG_TYPE: postcode is an integer, expected string");
    assertThat(reason(with(m -> m.put("bedrooms", 3.5))))
        .isEqualTo("WRONG_TYPE: bedrooms is a decimal number, expected integer");
    assertThat(reason(with(m -> m.put("bedrooms", "3"))))
        .isEqualTo("WRONG_TYPE: bedrooms is a string, expected integer");
    assertThat(reason(with(m -> m.put("priceMax", List.of(1)))))
        .isEqualTo("WRONG_TYPE: priceMax is an array, expected integer");
    assertThat(reason(with(m -> m.put("lastActive", 1_717_236_930_000L))))
        .isEqualTo("WRONG_TYPE: lastActive is an integer, expected string");
    assertThat(reason(with(m -> m.put("suburb", Map.of("name", "x")))))
        .isEqualTo("WRONG_TYPE: suburb is an object, expected string");
    assertThat(reason(with(m -> m.put("activity", Map.of()))))
        .isEqualTo("WRONG_TYPE: activity is an object, expected array");
    assertThat(reason(with(m -> m.put("activity", List.of("view")))))
        .isEqualTo("WRONG_TYPE: activity[0] is a string, expected object");
    assertThat(reason(with(m -> m.put("activity",
        List.of(Map.of("type", "view", "listingId", 7, "at", "2025-06-01T00:00:00Z"))))))
        .isEqualTo("WRONG_TYPE: activity[0].listingId is an integer, expected string");
  }

  @Test
  void outOfRange() {
    assertThat(reason(with(m -> m.put("bedrooms", 14))))
        .isEqualTo("OUT_OF_RANGE: bedrooms is out of range (expected 0..10)");
    assertThat(reason(with(m -> m.put("bedrooms", -1))))
        .isEqualTo("OUT_OF_RANGE: bedrooms is out of range (expected 0..10)");
    assertThat(reason(with(m -> m.put("bedrooms", 5_000_000_000L))))
        .isEqualTo("OUT_OF_RANGE: bedrooms is out of range (expected 0..10)");
    assertThat(reason(with(m -> m.put("priceMin", -5))))
        .isEqualTo("OUT_OF_RANGE: priceMin is out of range (expected >= 0)");
    assertThat(reason(with(m -> {
      m.put("priceMin", 900);
      m.put("priceMax", 500);
    }))).isEqualTo("OUT_OF_RANGE: priceMin is greater than priceMax");
    assertThat(reason(with(m -> m.put("priceMax", new java.math.BigInteger("99999999999999999999")))))
        .isEqualTo("OUT_OF_RANGE: priceMax is out of range (expected 0..9223372036854775807)");
  }

  /** A lastActive {@code seconds} away from now, and an activity entry at {@code at}. */
  private static String lastActiveIn(long seconds) {
    return ContractFixtures.NOW.plusSeconds(seconds).toString();
  }

  private static Map<String, Object> viewAt(String at) {
    return Map.of("type", "view", "listingId", "l-1", "at", at);
  }

  @Test
  void instantsLaterThanNowPlusTheClockSkewAreOutOfRangeTheBoundIncluded() {
    long skew = ContractLimits.DEFAULT_MAX_CLOCK_SKEW.toSeconds();
    String latest = "2025-06-02T00:05:00Z";
    assertThat(valid("k.json", with(m -> m.put("lastActive", lastActiveIn(skew)))).lastActive())
        .isEqualTo(Instant.parse(latest));
    assertThat(reason(with(m -> m.put("lastActive", lastActiveIn(skew + 1)))))
        .isEqualTo("OUT_OF_RANGE: lastActive is in the future (later than now + max clock skew PT5M)");
    assertThat(reason(with(m -> m.put("lastActive", "2025-06-02T00:05:00.000000001Z"))))
        .startsWith("OUT_OF_RANGE: lastActive is in the future");
    assertThat(reason(with(m -> m.put("lastActive", "9999-12-31T23:59:59Z"))))
        .isEqualTo("OUT_OF_RANGE: lastActive is in the future (later than now + max clock skew PT5M)");
    assertThat(reason(with(m -> m.put("activity",
        List.of(viewAt("2025-05-30T08:00:00Z"), viewAt(lastActiveIn(skew + 1)))))))
        .isEqualTo("OUT_OF_RANGE: activity[1].at is in the future (later than now + max clock skew PT5M)");
  }

  @Test
  void instantsBefore2000AreOutOfRangeTheBoundIncluded() {
    assertThat(valid("k.json", with(m -> m.put("lastActive", "2000-01-01T00:00:00Z"))).lastActive())
        .isEqualTo(ContractParser.EARLIEST_INSTANT);
    for (String early : List.of("1999-12-31T23:59:59.999999999Z", "2000-01-01T10:00:00+10:00:01",
        "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "-0001-01-01T00:00:00Z")) {
      assertThat(reason(with(m -> m.put("lastActive", early)))).as(early)
          .isEqualTo("OUT_OF_RANGE: lastActive is before 2000-01-01T00:00:00Z");
    }
    assertThat(reason(with(m -> m.put("activity", List.of(viewAt("1970-01-01T00:00:00Z"))))))
        .isEqualTo("OUT_OF_RANGE: activity[0].at is before 2000-01-01T00:00:00Z");
  }

  @Test
  void instantsBeyondWhatAnInstantHoldsAreOutOfRangeNotInvalid() {
    // written as instants, but past Instant.MIN or MAX once the offset is applied
    assertThat(reason(with(m -> m.put("lastActive", "-1000000000-01-01T00:00:00+01:00"))))
        .isEqualTo("OUT_OF_RANGE: lastActive is before 2000-01-01T00:00:00Z");
    assertThat(reason(with(m -> m.put("lastActive", "+1000000000-12-31T23:59:59-01:00"))))
        .startsWith("OUT_OF_RANGE: lastActive is in the future");
    assertThat(reason(with(m -> m.put("lastActive", "+1000000000-12-31T23:59:59Z"))))
        .startsWith("OUT_OF_RANGE: lastActive is in the future");
    assertThat(reason(with(m -> m.put("activity", List.of(viewAt("+1000000001-01-01T00:00:00Z"))))))
        .startsWith("OUT_OF_RANGE: activity[0].at is in the future");
  }

  @Test
  void anOutOfRangeInstantIsNamedByItsFieldAndBoundNeverByItsValue() {
    for (String value : List.of("2031-07-04T01:02:03Z", "1987-07-04T01:02:03Z")) {
      assertThat(reason(with(m -> m.put("lastActive", value)))).as(value)
          .doesNotContain("1987").doesNotContain("2031").doesNotContain("07-04")
          .doesNotContain("olivia");
    }
  }

  @Test
  void nowComesFromTheParsersClockReadForEveryFile() {
    byte[] inAnHour = with(m -> m.put("lastActive", lastActiveIn(Duration.ofHours(1).toSeconds())));
    assertThat(reason(inAnHour)).startsWith("OUT_OF_RANGE: lastActive is in the future");
    MutableClock clock = new MutableClock(ContractFixtures.NOW);
    ContractParser later = new ContractParser(
        new ContractLimits(ContractParser.DEFAULT_MAX_BYTES, clock, Duration.ZERO));
    assertThat(later.parse("k.json", inAnHour)).isInstanceOf(ParseResult.Invalid.class);
    clock.now = ContractFixtures.NOW.plus(Duration.ofHours(1));
    assertThat(later.parse("k.json", inAnHour)).isInstanceOf(ParseResult.Valid.class);
    clock.now = clock.now.minusNanos(1); // no skew allowed: one nanosecond early is too early
    assertThat(later.parse("k.json", inAnHour)).isInstanceOf(ParseResult.Invalid.class);
  }

  /** A clock a test moves by hand. */
  private static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void invalidValue() {
    assertThat(reason(with(m -> m.put("state", "XX")))).isEqualTo(
        "INVALID_VALUE: state is not valid (expected one of NSW, VIC, QLD, WA, SA, TAS, ACT, NT)");
    assertThat(reason(with(m -> m.put("state", "nsw")))).startsWith("INVALID_VALUE: state is not valid");
    assertThat(reason(with(m -> m.put("memberId", "M-ABC123")))).isEqualTo(
        "INVALID_VALUE: memberId is not valid (expected ^m-[0-9a-z]{4,32}$)");
    assertThat(reason(with(m -> m.put("email", "not-an-email")))).isEqualTo(
        "INVALID_VALUE: email is not a valid address (no @)");
    assertThat(reason(with(m -> m.put("suburb", "  ")))).isEqualTo(
        "INVALID_VALUE: suburb is not valid (expected a non-blank name)");
    assertThat(reason(with(m -> m.put("postcode", "20100")))).isEqualTo(
        "INVALID_VALUE: postcode is not valid (expected 4 digits)");
    assertThat(reason(with(m -> m.put("intent", "lease")))).isEqualTo(
        "INVALID_VALUE: intent is not valid (expected one of buy, rent, sell, invest)");
    assertThat(reason(with(m -> m.put("propertyType", "unit")))).isEqualTo(
        "INVALID_VALUE: propertyType is not valid (expected one of house, apartment, townhouse, land)");
    assertThat(reason(with(m -> m.put("lastActive", "yesterday")))).isEqualTo(
        "INVALID_VALUE: lastActive is not valid (expected an ISO-8601 instant such as"
            + " 2024-05-01T10:15:30Z)");
    assertThat(reason(with(m -> m.put("activity",
        List.of(Map.of("type", "click", "listingId", "l-1", "at", "2025-06-01T00:00:00Z"))))))
        .isEqualTo("INVALID_VALUE: activity[0].type is not valid (expected one of search, view,"
            + " enquiry, save)");
    assertThat(reason(with(m -> m.put("activity",
        List.of(Map.of("type", "save", "listingId", "l-1", "at", "2025-06-01"))))))
        .startsWith("INVALID_VALUE: activity[0].at is not valid (expected an ISO-8601");
  }

  @Test
  void reasonsNameTheFieldNeverItsValue() {
    String secret = "zq\"Olivia\n" + "x".repeat(500);
    for (String field : List.of("state", "memberId", "postcode", "intent", "propertyType",
        "lastActive")) {
      String reason = reason(with(m -> m.put(field, secret)));
      assertThat(reason).as(field).startsWith("INVALID_VALUE: " + field + " is not valid (expected ")
          .doesNotContain("zq").doesNotContain("Olivia");
    }
    assertThat(reason(with(m -> m.put("bedrooms", 987_654_321)))).doesNotContain("987");
  }

  @Test
  void rejectionsNeverRepeatTheEmail() {
    String local = "olivia.smith";
    String domain = "example.com.au";
    List<String> badAddresses = List.of(local + "@example", local + " @" + domain,
        local + "@@" + domain, local + "@example..com.au", local + "@." + domain,
        local + "@" + domain + ".", "@" + local + "." + domain, local + "@", local + "." + domain,
        local.repeat(20) + "@" + domain, "o@ex");
    List<byte[]> files = new ArrayList<>();
    for (String bad : badAddresses) {
      files.add(with(m -> m.put("email", bad)));
    }
    String good = new String(bytes(validDoc()), StandardCharsets.UTF_8);
    String quoted = "\"" + local + "@" + domain + "\"";
    files.add(utf8(good.replace(quoted, local + "@" + domain))); // unquoted
    files.add(utf8(good.replace(quoted, "[" + local + "]")));
    files.add(utf8(good.replace(quoted, "\"" + local + "\\q@" + domain + "\""))); // bad escape
    files.add(utf8(good.replace(quoted, "\"" + local + "\n@" + domain + "\""))); // raw newline
    files.add(utf8(good.substring(0, good.indexOf(local) + local.length()))); // cut inside it
    files.add(utf8(good.replace(quoted, quoted + "," + "\"email\":" + quoted))); // twice
    for (byte[] file : files) {
      String reason = reason(file);
      assertThat(reason).as(reason).doesNotContain("olivia").doesNotContain("example")
          .matches("[A-Z_]+: .+");
    }
    assertThat(reason(files.get(0))).isEqualTo(
        "INVALID_VALUE: email is not a valid address (no dot in the domain)");
    assertThat(col(reason(files.get(badAddresses.size())))).isEqualTo("NOT_JSON: invalid JSON in"
        + " the value of \"email\" (not shown: personal data) at line 1, column N");
  }

  @Test
  void badGzip() {
    byte[] plain = bytes(validDoc());
    assertThat(reason("k.json.gz", plain)).isEqualTo("BAD_GZIP: Not in GZIP format");
    byte[] gz = gzip(plain);
    assertThat(reason("k.json.gz", Arrays.copyOf(gz, gz.length / 2)))
        .isEqualTo("BAD_GZIP: truncated gzip stream (Unexpected end of ZLIB input stream)");
    byte[] crc = gz.clone();
    crc[crc.length - 8] ^= 0x5A;
    assertThat(reason("k.json.gz", crc)).isEqualTo("BAD_GZIP: Corrupt GZIP trailer");
  }

  @Test
  void theFirstProblemInContractOrderWins() {
    byte[] body = with(m -> {
      m.put("bedrooms", 14); // later field
      m.remove("email");
      m.put("state", "XX");
    });
    assertThat(reason(body)).isEqualTo("MISSING_FIELD: email");
    assertThat(reason(with(m -> {
      m.put("priceMin", 900);
      m.put("priceMax", 500);
      m.put("lastActive", "never");
    }))).isEqualTo("OUT_OF_RANGE: priceMin is greater than priceMax");
  }

  @Test
  void memberIdAndEmailRules() {
    assertThat(ContractParser.isValidMemberId("m-abcd")).isTrue();
    assertThat(ContractParser.isValidMemberId("m-" + "a".repeat(32))).isTrue();
    assertThat(ContractParser.isValidMemberId("m-" + "a".repeat(33))).isFalse();
    assertThat(ContractParser.isValidMemberId("m-abc")).isFalse();
    assertThat(ContractParser.isValidMemberId("m-abC1")).isFalse();
    assertThat(ContractParser.isValidMemberId("x-abcd")).isFalse();

    for (String ok : List.of("a@b.co", "olivia.smith+re@example.com.au", "o'brien@x.io")) {
      assertThat(ContractParser.isValidEmail(ok)).as(ok).isTrue();
    }
    for (String bad : List.of("", "plain", "@example.com", "a@b", "a@@b.co", "a@b@c.co",
        "a b@c.co", "a@b .co", "a@.b.co", "a@b.co.", "a@b..co", "a@", "x".repeat(250) + "@b.co")) {
      assertThat(ContractParser.isValidEmail(bad)).as(bad).isFalse();
    }
  }

  @Test
  void constructorRejectsSillyLimits() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ContractParser(limitOf(0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ContractLimits(
            ContractParser.DEFAULT_MAX_BYTES, ContractFixtures.CLOCK, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxClockSkew");
  }
}
