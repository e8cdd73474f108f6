package audience.contract;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Parses and validates one raw member file against data contract v1 (see ARCHITECTURE.md).
 *
 * <p>Pure: no I/O beyond the byte array it is given, no shared mutable state. One instance may be
 * used from any number of threads at once (the Jackson {@link ObjectReader} is immutable, every
 * other helper is created per call).
 *
 * <p>Steps, each of which may reject the file with the first problem it finds:
 *
 * <ol>
 *   <li>{@link RejectionKind#EMPTY} for zero bytes, {@link RejectionKind#OVERSIZE} above {@code
 *       maxBytes} stored bytes;
 *   <li>gunzip when the key ends in {@code .gz} or the content starts with the gzip magic bytes
 *       ({@link RejectionKind#BAD_GZIP}); inflation stops as soon as the output passes {@code
 *       maxBytes} ({@link RejectionKind#OVERSIZE}, a guard against gzip bombs);
 *   <li>strict UTF-8 ({@link RejectionKind#INVALID_UTF8}); a leading byte order mark is skipped;
 *   <li>strict JSON with no trailing content and no duplicate field names ({@link
 *       RejectionKind#NOT_JSON}, {@link RejectionKind#TRUNCATED}, {@link RejectionKind#EMPTY} for
 *       whitespace only, {@link RejectionKind#NOT_AN_OBJECT});
 *   <li>the fields, in the order of the contract: absent ({@link RejectionKind#MISSING_FIELD}),
 *       wrong JSON type or {@code null} ({@link RejectionKind#WRONG_TYPE}), numbers out of range or
 *       priceMin &gt; priceMax ({@link RejectionKind#OUT_OF_RANGE}), strings not matching their
 *       format or enumeration ({@link RejectionKind#INVALID_VALUE}).
 * </ol>
 *
 * <p>Choices the contract leaves open: integers must be written without a fraction ({@code 3.0}
 * is a {@code WRONG_TYPE}); {@code suburb} and {@code activity[i].listingId} must not be blank;
 * {@code activity: null} is the same as an absent activity; {@code lastActive} and {@code at}
 * accept what {@link Instant#parse} accepts (UTC {@code Z} or a numeric offset). Unknown fields are
 * ignored.
 */
public final class ContractParser {

  /** The default size limit of the contract: 1 MiB. */
  public static final long DEFAULT_MAX_BYTES = 1L << 20;

  /** The memberId format, for documentation and rejection details (the check is hand-written). */
  public static final String MEMBER_ID_PATTERN = "^m-[0-9a-z]{4,32}$";

  private static final int MAX_SHOWN_VALUE_CHARS = 64;
  private static final int MAX_EMAIL_LENGTH = 254;

  private final long maxBytes;
  private final ObjectReader reader;

  /** A parser with its own {@link ObjectMapper}. */
  public ContractParser(long maxBytes) {
    this(maxBytes, new ObjectMapper());
  }

  /**
   * A parser sharing an existing mapper (only its immutable {@link ObjectReader} is kept; the
   * mapper must not be reconfigured afterwards, as usual for Jackson).
   */
  public ContractParser(long maxBytes, ObjectMapper mapper) {
    if (maxBytes < 1 || maxBytes > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(
          "maxBytes must be in 1.." + (Integer.MAX_VALUE - 16) + ", was " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.reader = Objects.requireNonNull(mapper, "mapper")
        .reader()
        .with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
  }

  /** The configured size limit, applied to stored and to decompressed bytes. */
  public long maxBytes() {
    return maxBytes;
  }

  /**
   * Parses one file.
   *
   * @param key the object key (only its {@code .gz} suffix matters)
   * @param bytes the stored content; not modified and not retained
   */
  public ParseResult parse(String key, byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 0) {
      return ParseResult.invalid(RejectionKind.EMPTY, "0 bytes");
    }
    if (bytes.length > maxBytes) {
      return ParseResult.invalid(
          RejectionKind.OVERSIZE, bytes.length + " bytes > limit " + maxBytes);
    }
    byte[] data = bytes;
    int length = bytes.length;
    boolean gzip = (key != null && key.endsWith(".gz")) || hasGzipMagic(bytes);
    if (gzip) {
      Inflated inflated;
      try {
        inflated = gunzip(bytes, maxBytes);
      } catch (ZipException e) {
        return ParseResult.invalid(RejectionKind.BAD_GZIP, gzipProblem(e));
      } catch (EOFException e) {
        return ParseResult.invalid(
            RejectionKind.BAD_GZIP, "truncated gzip stream (" + e.getMessage() + ")");
      } catch (IOException e) {
        return ParseResult.invalid(RejectionKind.BAD_GZIP, gzipProblem(e));
      }
      if (inflated == null) {
        return ParseResult.invalid(
            RejectionKind.OVERSIZE,
            "decompressed size > limit " + maxBytes + " (stopped inflating at "
                + (maxBytes + 1) + " bytes)");
      }
      data = inflated.bytes();
      length = inflated.length();
      if (length == 0) {
        return ParseResult.invalid(RejectionKind.EMPTY, "0 bytes after gunzip");
      }
    }
    return parseJson(data, length, gzip ? " of the decompressed content" : "");
  }

  // ---------------------------------------------------------------------------------------------
  // bytes -> tree

  private ParseResult parseJson(byte[] data, int length, String where) {
    int start = hasUtf8Bom(data, length) ? 3 : 0;
    char[] chars = null;
    int charCount = 0;
    if (!isAscii(data, start, length)) {
      CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      ByteBuffer in = ByteBuffer.wrap(data, start, length - start);
      CharBuffer out = CharBuffer.allocate(length - start);
      CoderResult r = decoder.decode(in, out, true);
      if (!r.isError()) {
        r = decoder.flush(out);
      }
      if (r.isError()) {
        return ParseResult.invalid(
            RejectionKind.INVALID_UTF8, "malformed byte sequence at offset " + in.position() + where);
      }
      chars = out.array();
      charCount = out.position();
    }

    JsonNode root;
    long units = chars == null ? length : charCount; // what Jackson's offsets count
    try (JsonParser p = chars == null
        ? reader.createParser(data, start, length - start)
        : reader.createParser(chars, 0, charCount)) {
      try {
        root = reader.readTree(p);
      } catch (JsonEOFException e) {
        return truncated(length, where);
      } catch (StreamReadException e) {
        JsonLocation loc = e.getLocation();
        String m = e.getOriginalMessage();
        if (m != null && m.regionMatches(true, 0, "Unexpected end-of-input", 0, 23)) {
          return truncated(length, where);
        }
        // Jackson counts byte offsets from where it was told to start, i.e. after a byte order mark
        long at = loc == null ? -1 : offset(loc) + (chars == null ? start : 0);
        if (loc != null && at >= incompleteScalarStart(chars, data, (int) units)) {
          return truncated(length, where); // a literal or number cut short: {"optIn":tr
        }
        return notJson(e.getOriginalMessage(), loc);
      } catch (JsonProcessingException e) {
        // databind level: duplicate field names
        return ParseResult.invalid(
            RejectionKind.NOT_JSON, duplicateFieldDetail(e) + " at " + position(e.getLocation()));
      }
      if (root != null && !root.isMissingNode()) {
        try {
          if (p.nextToken() != null) {
            return ParseResult.invalid(
                RejectionKind.NOT_JSON,
                "unexpected content after the JSON value at " + position(p.currentLocation()));
          }
        } catch (StreamReadException e) {
          return ParseResult.invalid(
              RejectionKind.NOT_JSON,
              "unexpected content after the JSON value at " + position(e.getLocation()));
        }
      }
    } catch (IOException e) {
      // closing an in-memory parser does not fail; reading an in-memory array neither
      return ParseResult.invalid(RejectionKind.NOT_JSON, String.valueOf(e.getMessage()));
    }
    if (root == null || root.isMissingNode()) {
      return ParseResult.invalid(RejectionKind.EMPTY, "no JSON value (whitespace only)");
    }
    if (!root.isObject()) {
      return ParseResult.invalid(
          RejectionKind.NOT_AN_OBJECT, "root is " + typeName(root) + ", expected object");
    }
    try {
      return new ParseResult.Valid(profile(root));
    } catch (Reject r) {
      return new ParseResult.Invalid(new Rejection(r.kind, r.detail));
    }
  }

  private static ParseResult notJson(String message, JsonLocation loc) {
    String m = lowerFirst(message);
    int cut = m.indexOf(" (for ");
    if (cut > 0) {
      m = m.substring(0, cut);
    }
    return ParseResult.invalid(RejectionKind.NOT_JSON, m + " at " + position(loc));
  }

  /**
   * Where the input's final token starts when it is a proper prefix of {@code true}, {@code
   * false}, {@code null} or a number that cannot end there ({@code 12.}, {@code 1e}, {@code -}),
   * with no whitespace after it; otherwise {@code Long.MAX_VALUE}. Jackson reports such cuts as
   * bad tokens rather than as the end of input.
   */
  private static long incompleteScalarStart(char[] chars, byte[] bytes, int end) {
    int i = end;
    while (i > 0 && isScalarChar(chars != null ? chars[i - 1] : (char) (bytes[i - 1] & 0xff))) {
      i--;
    }
    if (i == end) {
      return Long.MAX_VALUE;
    }
    StringBuilder run = new StringBuilder(end - i);
    for (int k = i; k < end; k++) {
      run.append(chars != null ? chars[k] : (char) (bytes[k] & 0xff));
    }
    String r = run.toString();
    if (r.length() < 4 && "true".startsWith(r) || r.length() < 5 && "false".startsWith(r)
        || r.length() < 4 && "null".startsWith(r)) {
      return i;
    }
    if ("-.eE+".indexOf(r.charAt(r.length() - 1)) < 0) {
      return Long.MAX_VALUE;
    }
    for (int k = 0; k < r.length(); k++) {
      if ("0123456789-.eE+".indexOf(r.charAt(k)) < 0) {
        return Long.MAX_VALUE;
      }
    }
    return i;
  }

  private static boolean isScalarChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '.' || c == '-' || c == '+';
  }

  private static ParseResult truncated(int length, String where) {
    return ParseResult.invalid(
        RejectionKind.TRUNCATED, "unexpected end of input at byte " + length + where);
  }

  private static long offset(JsonLocation loc) {
    return loc.getByteOffset() >= 0 ? loc.getByteOffset() : loc.getCharOffset();
  }

  private static String position(JsonLocation loc) {
    if (loc == null) {
      return "unknown position";
    }
    return "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
  }

  private static String duplicateFieldDetail(JsonProcessingException e) {
    String m = String.valueOf(e.getOriginalMessage());
    if (m.startsWith("Duplicate field '")) {
      int end = m.indexOf('\'', 17);
      if (end > 17) {
        return "duplicate field \"" + m.substring(17, end) + "\"";
      }
    }
    return lowerFirst(m);
  }

  private static String lowerFirst(String s) {
    if (s == null || s.isEmpty()) {
      return "invalid JSON";
    }
    return Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }

  private static boolean isAscii(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasUtf8Bom(byte[] b, int length) {
    return length >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF;
  }

  // ---------------------------------------------------------------------------------------------
  // gzip

  /** True when the content starts with the gzip magic bytes 1f 8b. */
  public static boolean hasGzipMagic(byte[] b) {
    return b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
  }

  private record Inflated(byte[] bytes, int length) {}

  /** Inflates at most {@code limit} bytes; null when the content is larger. */
  private static Inflated gunzip(byte[] gz, long limit) throws IOException {
    int cap = (int) limit + 1; // one byte more than allowed tells "too large"
    byte[] buf = new byte[(int) Math.min(cap, Math.max(1024L, gz.length * 6L))];
    int n = 0;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz), 4096)) {
      while (true) {
        if (n == buf.length) {
          if (buf.length >= cap) {
            return null;
          }
          buf = java.util.Arrays.copyOf(buf, (int) Math.min(cap, buf.length * 2L));
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

  private static String gzipProblem(IOException e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  // ---------------------------------------------------------------------------------------------
  // tree -> profile

  /** Thrown inside the field checks only; carries no stack trace. */
  private static final class Reject extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final RejectionKind kind;
    final String detail;

    Reject(RejectionKind kind, String detail) {
      super(null, null, false, false);
      this.kind = kind;
      this.detail = detail;
    }
  }

  private static MemberProfile profile(JsonNode o) {
    String memberId = string(o, "", "memberId");
    if (!isValidMemberId(memberId)) {
      throw invalid("memberId", memberId, MEMBER_ID_PATTERN);
    }
    String email = string(o, "", "email");
    if (!isValidEmail(email)) {
      throw invalid("email", email, "a valid address");
    }
    JsonNode optInNode = required(o, "", "optIn");
    if (!optInNode.isBoolean()) {
      throw wrongType("optIn", optInNode, "boolean");
    }
    String suburb = string(o, "", "suburb");
    if (suburb.isBlank()) {
      throw invalid("suburb", suburb, "a non-blank name");
    }
    String postcode = string(o, "", "postcode");
    if (!isFourDigits(postcode)) {
      throw invalid("postcode", postcode, "4 digits");
    }
    AuState state = enumValue(o, "", "state", AuState::fromWire, AuState.EXPECTED);
    Intent intent = enumValue(o, "", "intent", Intent::fromWire, Intent.EXPECTED);
    PropertyType propertyType =
        enumValue(o, "", "propertyType", PropertyType::fromWire, PropertyType.EXPECTED);
    int bedrooms = (int) integer(o, "bedrooms", 0, 10, "0..10");
    long priceMin = integer(o, "priceMin", 0, Long.MAX_VALUE, ">= 0");
    long priceMax = integer(o, "priceMax", 0, Long.MAX_VALUE, ">= 0");
    if (priceMin > priceMax) {
      throw new Reject(
          RejectionKind.OUT_OF_RANGE, "priceMin=" + priceMin + " > priceMax=" + priceMax);
    }
    Instant lastActive = instant(o, "", "lastActive");
    List<Activity> activity = activities(o.get("activity"));
    return new MemberProfile(memberId, email, optInNode.booleanValue(), suburb, postcode, state,
        intent, propertyType, bedrooms, priceMin, priceMax, lastActive, activity);
  }

  private static List<Activity> activities(JsonNode a) {
    if (a == null || a.isNull()) {
      return List.of();
    }
    if (!a.isArray()) {
      throw wrongType("activity", a, "array");
    }
    if (a.isEmpty()) {
      return List.of();
    }
    List<Activity> out = new ArrayList<>(a.size());
    int i = 0;
    for (Iterator<JsonNode> it = a.elements(); it.hasNext(); i++) {
      JsonNode e = it.next();
      String path = "activity[" + i + "].";
      if (!e.isObject()) {
        throw wrongType("activity[" + i + "]", e, "object");
      }
      ActivityType type = enumValue(e, path, "type", ActivityType::fromWire, ActivityType.EXPECTED);
      String listingId = string(e, path, "listingId");
      if (listingId.isBlank()) {
        throw invalid(path + "listingId", listingId, "a non-blank id");
      }
      Instant at = instant(e, path, "at");
      out.add(new Activity(type, listingId, at));
    }
    return out;
  }

  private static JsonNode required(JsonNode o, String path, String name) {
    JsonNode n = o.get(name);
    if (n == null) {
      throw new Reject(RejectionKind.MISSING_FIELD, path + name);
    }
    return n;
  }

  private static String string(JsonNode o, String path, String name) {
    JsonNode n = required(o, path, name);
    if (!n.isTextual()) {
      throw wrongType(path + name, n, "string");
    }
    return n.textValue();
  }

  private static <E> E enumValue(
      JsonNode o, String path, String name, Function<String, java.util.Optional<E>> fromWire,
      String expected) {
    String s = string(o, path, name);
    return fromWire.apply(s).orElseThrow(() -> invalid(path + name, s, "one of " + expected));
  }

  private static long integer(JsonNode o, String name, long min, long max, String expected) {
    JsonNode n = required(o, "", name);
    if (!n.isIntegralNumber()) {
      throw wrongType(name, n, "integer");
    }
    if (!n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
      String range = n.canConvertToLong() ? expected : min + ".." + max;
      throw new Reject(
          RejectionKind.OUT_OF_RANGE, name + "=" + n.asText() + " (expected " + range + ")");
    }
    return n.longValue();
  }

  private static Instant instant(JsonNode o, String path, String name) {
    String s = string(o, path, name);
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw invalid(path + name, s, "an ISO-8601 instant such as 2024-05-01T10:15:30Z");
    }
  }

  private static Reject wrongType(String field, JsonNode n, String expected) {
    return new Reject(
        RejectionKind.WRONG_TYPE, field + " is " + typeName(n) + ", expected " + expected);
  }

  private static Reject invalid(String field, String value, String expected) {
    return new Reject(
        RejectionKind.INVALID_VALUE, field + "=" + quote(value) + " (expected " + expected + ")");
  }

  private static String typeName(JsonNode n) {
    return switch (n.getNodeType()) {
      case STRING -> "a string";
      case BOOLEAN -> "a boolean";
      case NUMBER -> n.isIntegralNumber() ? "an integer" : "a decimal number";
      case NULL -> "null";
      case ARRAY -> "an array";
      case OBJECT, POJO -> "an object";
      case BINARY -> "binary";
      case MISSING -> "missing";
    };
  }

  /** The value in double quotes, JSON-escaped and cut to a readable length. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_SHOWN_VALUE_CHARS) + 8).append('"');
    int n = Math.min(s.length(), MAX_SHOWN_VALUE_CHARS);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    if (s.length() > n) {
      b.append("...");
    }
    return b.append('"').toString();
  }

  // ---------------------------------------------------------------------------------------------
  // formats (public: the generator and other components use the same rules)

  /** {@code ^m-[0-9a-z]{4,32}$}, without a regex. */
  public static boolean isValidMemberId(String s) {
    int len = s.length();
    if (len < 6 || len > 34 || s.charAt(0) != 'm' || s.charAt(1) != '-') {
      return false;
    }
    for (int i = 2; i < len; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * A pragmatic address check: at most 254 characters, no whitespace or control characters,
   * exactly one {@code @}, a non-empty local part, a domain containing a dot that neither starts
   * nor ends with a dot and has no empty label.
   */
  public static boolean isValidEmail(String s) {
    int len = s.length();
    if (len < 5 || len > MAX_EMAIL_LENGTH) {
      return false;
    }
    int at = -1;
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c == 0x7f || Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        return false;
      }
      if (c == '@') {
        if (at >= 0) {
          return false;
        }
        at = i;
      }
    }
    if (at <= 0 || at >= len - 1) {
      return false;
    }
    int firstDot = s.indexOf('.', at + 1);
    return firstDot > at + 1
        && s.charAt(len - 1) != '.'
        && s.indexOf("..", at + 1) < 0;
  }

  private static boolean isFourDigits(String s) {
    if (s.length() != 4) {
      return false;
    }
    for (int i = 0; i < 4; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
