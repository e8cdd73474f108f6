package audience.contract;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The rules of data contract v1 (docs/contract.md), applied to a JSON tree from {@link StrictJson}.
 * Stateless.
 *
 * <p>The root must be an object ({@link RejectionKind#NOT_AN_OBJECT}); then the fields are checked
 * in the order of the contract, and the first problem rejects: absent ({@link
 * RejectionKind#MISSING_FIELD}), wrong JSON type or {@code null} ({@link
 * RejectionKind#WRONG_TYPE}), numbers out of range, priceMin &gt; priceMax, or instants before
 * {@link #EARLIEST_INSTANT} or after {@link Latest} ({@link RejectionKind#OUT_OF_RANGE}), strings
 * not matching their format or enumeration ({@link RejectionKind#INVALID_VALUE}).
 *
 * <p>Choices the contract leaves open: integers must be written without a fraction or exponent
 * ({@code 3.0} is a {@code WRONG_TYPE}); {@code suburb} and {@code activity[i].listingId} must not
 * be blank; {@code activity: null} is the same as an absent activity; {@code lastActive} and {@code
 * at} accept what {@link Instant#parse} accepts (UTC {@code Z} or a numeric offset), from {@link
 * #EARLIEST_INSTANT} to now plus the allowed clock skew. Unknown fields are ignored.
 */
final class ContractRules {

  /**
   * Fields whose values identify a person: no rejection detail may contain them (a detail says
   * which rule failed, never what the file held), since quarantine reasons are logged and shown
   * to operators who need not see personal data.
   */
  static final Set<String> PERSONAL_FIELDS = Set.of("email");

  static final String MEMBER_ID_PREFIX = "m-";
  static final int MEMBER_ID_MIN_SUFFIX = 4;
  static final int MEMBER_ID_MAX_SUFFIX = 32;
  /** The memberId format, for documentation and rejection details (the check is hand-written). */
  static final String MEMBER_ID_PATTERN = "^" + MEMBER_ID_PREFIX + "[0-9a-z]{"
      + MEMBER_ID_MIN_SUFFIX + "," + MEMBER_ID_MAX_SUFFIX + "}$";

  /**
   * The earliest instant a file may hold: older data is an export default (the epoch, year 1) or a
   * broken clock, not member activity.
   */
  static final Instant EARLIEST_INSTANT = Instant.parse("2000-01-01T00:00:00Z");
  private static final String INSTANT_EXAMPLE = "an ISO-8601 instant such as 2024-05-01T10:15:30Z";

  static final int BEDROOMS_MIN = 0;
  static final int BEDROOMS_MAX = 10;
  static final int POSTCODE_DIGITS = 4;
  /** "a@b.c": the shortest address the other email rules let through. */
  static final int MIN_EMAIL_LENGTH = 5;
  /** The longest path RFC 5321 allows, less its angle brackets. */
  static final int MAX_EMAIL_LENGTH = 254;
  private static final char DELETE = 0x7f;

  private ContractRules() {}

  /**
   * The latest instant a file may hold, fixed once per file: "now" plus the allowed clock skew,
   * which a rejection names.
   */
  record Latest(Instant instant, Duration maxClockSkew) {}

  /** The profile {@code root} describes, or the first rule it breaks. */
  static MemberProfile profile(JsonNode root, Latest latest) throws Rejected {
    if (!root.isObject()) {
      throw new Rejected(
          RejectionKind.NOT_AN_OBJECT, "root is " + typeName(root) + ", expected object");
    }
    String memberId = string(root, "", "memberId");
    if (!isValidMemberId(memberId)) {
      throw invalid("memberId", memberId, MEMBER_ID_PATTERN);
    }
    String email = string(root, "", "email");
    Optional<String> emailProblem = emailProblem(email);
    if (emailProblem.isPresent()) {
      throw new Rejected(RejectionKind.INVALID_VALUE,
          "email is not a valid address (" + emailProblem.get() + ")");
    }
    JsonNode optInNode = required(root, "", "optIn");
    if (!optInNode.isBoolean()) {
      throw wrongType("optIn", optInNode, "boolean");
    }
    String suburb = string(root, "", "suburb");
    if (suburb.isBlank()) {
      throw invalid("suburb", suburb, "a non-blank name");
    }
    String postcode = string(root, "", "postcode");
    if (!isPostcode(postcode)) {
      throw invalid("postcode", postcode, POSTCODE_DIGITS + " digits");
    }
    AuState state = enumValue(root, "", "state", AuState::fromWire, AuState.EXPECTED);
    Intent intent = enumValue(root, "", "intent", Intent::fromWire, Intent.EXPECTED);
    PropertyType propertyType =
        enumValue(root, "", "propertyType", PropertyType::fromWire, PropertyType.EXPECTED);
    int bedrooms = (int) integer(root, "bedrooms", BEDROOMS_MIN, BEDROOMS_MAX,
        BEDROOMS_MIN + ".." + BEDROOMS_MAX);
    long priceMin = integer(root, "priceMin", 0, Long.MAX_VALUE, ">= 0");
    long priceMax = integer(root, "priceMax", 0, Long.MAX_VALUE, ">= 0");
    if (priceMin > priceMax) {
      throw new Rejected(
          RejectionKind.OUT_OF_RANGE, "priceMin is greater than priceMax");
    }
    Instant lastActive = instant(root, "", "lastActive", latest);
    List<Activity> activity = activities(root.get("activity"), latest);
    return new MemberProfile(memberId, email, optInNode.booleanValue(), suburb, postcode, state,
        intent, propertyType, bedrooms, priceMin, priceMax, lastActive, activity);
  }

  private static List<Activity> activities(JsonNode a, Latest latest) throws Rejected {
    if (a == null || a.isNull()) {
      return List.of();
    }
    if (!a.isArray()) {
      throw wrongType("activity", a, "array");
    }
    List<Activity> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      JsonNode e = a.get(i);
      String path = "activity[" + i + "].";
      if (!e.isObject()) {
        throw wrongType("activity[" + i + "]", e, "object");
      }
      ActivityType type =
          enumValue(e, path, "type", ActivityType::fromWire, ActivityType.EXPECTED);
      String listingId = string(e, path, "listingId");
      if (listingId.isBlank()) {
        throw invalid(path + "listingId", listingId, "a non-blank id");
      }
      Instant at = instant(e, path, "at", latest);
      out.add(new Activity(type, listingId, at));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // one field

  private static JsonNode required(JsonNode o, String path, String name) throws Rejected {
    JsonNode n = o.get(name);
    if (n == null) {
      throw new Rejected(RejectionKind.MISSING_FIELD, path + name);
    }
    return n;
  }

  private static String string(JsonNode o, String path, String name) throws Rejected {
    JsonNode n = required(o, path, name);
    if (!n.isTextual()) {
      throw wrongType(path + name, n, "string");
    }
    return n.textValue();
  }

  private static <E> E enumValue(JsonNode o, String path, String name,
      Function<String, Optional<E>> fromWire, String expected) throws Rejected {
    String s = string(o, path, name);
    return fromWire.apply(s).orElseThrow(() -> invalid(path + name, s, "one of " + expected));
  }

  /**
   * An integer written without fraction or exponent, within {@code min..max}; {@code expected}
   * says the range in the detail while the value fits a long.
   */
  private static long integer(JsonNode o, String name, long min, long max, String expected)
      throws Rejected {
    JsonNode n = required(o, "", name);
    if (!n.isIntegralNumber()) {
      throw wrongType(name, n, "integer");
    }
    if (!n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
      String range = n.canConvertToLong() ? expected : min + ".." + max;
      throw new Rejected(RejectionKind.OUT_OF_RANGE, name + " is out of range (expected " + range + ")");
    }
    return n.longValue();
  }

  /**
   * What {@link Instant#parse} accepts, within {@link #EARLIEST_INSTANT}..{@code latest}. Text in the
   * instant format beyond what {@link Instant} holds (year one billion) is out of range too. A
   * rejection names the field and the bound, never the value.
   */
  private static Instant instant(JsonNode o, String path, String name, Latest latest)
      throws Rejected {
    String field = path + name;
    String s = string(o, path, name);
    TemporalAccessor parsed;
    try {
      parsed = DateTimeFormatter.ISO_INSTANT.parse(s);
    } catch (DateTimeParseException e) {
      throw invalid(field, s, INSTANT_EXAMPLE);
    }
    Instant at;
    try {
      at = Instant.from(parsed);
    } catch (DateTimeException e) {
      throw parsed.getLong(ChronoField.INSTANT_SECONDS) < 0 ? tooEarly(field) : tooLate(field, latest);
    }
    if (at.isBefore(EARLIEST_INSTANT)) {
      throw tooEarly(field);
    }
    if (at.isAfter(latest.instant())) {
      throw tooLate(field, latest);
    }
    return at;
  }

  private static Rejected tooEarly(String field) {
    return new Rejected(RejectionKind.OUT_OF_RANGE, field + " is before " + EARLIEST_INSTANT);
  }

  /**
   * The reason names the rule, not the moment it was checked: the same file gives the same reason whenever it is
   * read (a redone chunk rewrites the same quarantine entry).
   */
  private static Rejected tooLate(String field, Latest latest) {
    return new Rejected(RejectionKind.OUT_OF_RANGE, field + " is in the future (later than now + max clock skew "
        + latest.maxClockSkew() + ")");
  }

  private static Rejected wrongType(String field, JsonNode n, String expected) {
    return new Rejected(
        RejectionKind.WRONG_TYPE, field + " is " + typeName(n) + ", expected " + expected);
  }

  private static Rejected invalid(String field, String value, String expected) {
    return new Rejected(
        RejectionKind.INVALID_VALUE, field + " is not valid (expected " + expected + ")");
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

  // ---------------------------------------------------------------------------------------------
  // formats

  /** {@link #MEMBER_ID_PATTERN}, without a regex. */
  static boolean isValidMemberId(String s) {
    int len = s.length();
    int prefix = MEMBER_ID_PREFIX.length();
    if (len < prefix + MEMBER_ID_MIN_SUFFIX || len > prefix + MEMBER_ID_MAX_SUFFIX
        || !s.startsWith(MEMBER_ID_PREFIX)) {
      return false;
    }
    for (int i = prefix; i < len; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * A pragmatic address check: {@link #MIN_EMAIL_LENGTH} to {@link #MAX_EMAIL_LENGTH} characters,
   * no whitespace or control characters, exactly one {@code @}, a non-empty local part, a domain
   * containing a dot that neither starts nor ends with a dot and has no empty label.
   */
  static boolean isValidEmail(String s) {
    return emailProblem(s).isEmpty();
  }

  /**
   * Which rule of {@link #isValidEmail} {@code s} breaks first, in words that never quote it (an
   * address is personal data); empty when it is valid.
   */
  static Optional<String> emailProblem(String s) {
    int len = s.length();
    if (len < MIN_EMAIL_LENGTH) {
      return Optional.of("shorter than " + MIN_EMAIL_LENGTH + " characters");
    }
    if (len > MAX_EMAIL_LENGTH) {
      return Optional.of("longer than " + MAX_EMAIL_LENGTH + " characters");
    }
    int at = -1;
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c == DELETE || Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        return Optional.of("contains whitespace or a control character");
      }
      if (c == '@') {
        if (at >= 0) {
          return Optional.of("more than one @");
        }
        at = i;
      }
    }
    if (at < 0) {
      return Optional.of("no @");
    }
    if (at == 0) {
      return Optional.of("nothing before the @");
    }
    if (at == len - 1) {
      return Optional.of("nothing after the @");
    }
    int firstDot = s.indexOf('.', at + 1);
    if (firstDot < 0) {
      return Optional.of("no dot in the domain");
    }
    if (firstDot == at + 1) {
      return Optional.of("the domain starts with a dot");
    }
    if (s.charAt(len - 1) == '.') {
      return Optional.of("the domain ends with a dot");
    }
    if (s.indexOf("..", at + 1) >= 0) {
      return Optional.of("the domain has an empty label");
    }
    return Optional.empty();
  }

  private static boolean isPostcode(String s) {
    if (s.length() != POSTCODE_DIGITS) {
      return false;
    }
    for (int i = 0; i < POSTCODE_DIGITS; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
