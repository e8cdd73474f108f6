package audience.contract;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The JSON stage of {@link ContractParser}: one strict JSON value, as a tree. Knows nothing of the
 * contract's fields, except the names of those whose values a detail must never repeat.
 * Immutable and thread-safe (the Jackson {@link ObjectReader} is immutable).
 *
 * <p>Strict means Jackson's defaults (no comments, no single quotes or unquoted names, no trailing
 * commas, no leading zeros, {@code +} signs or {@code NaN}, at most 1000 levels of nesting and
 * 1000 digits in a number) plus no duplicate field names at any depth and nothing but whitespace
 * after the value. Rejects with {@link RejectionKind#NOT_JSON}, {@link RejectionKind#TRUNCATED}
 * when the text stops before the value is complete, or {@link RejectionKind#EMPTY} for whitespace
 * only.
 */
final class StrictJson {

  /** The start of Jackson's message when the input ends inside a value. */
  private static final String END_OF_INPUT = "Unexpected end-of-input";
  /** The start of databind's message for a repeated name. */
  private static final String DUPLICATE_FIELD = "Duplicate field '";
  /** Where Jackson's messages start to name its own source and settings, which say nothing new. */
  private static final String JACKSON_SOURCE_NOTE = " (for ";

  /** The literals a file may be cut inside of; a proper prefix of one at the end is a cut. */
  private static final List<String> LITERALS = List.of("true", "false", "null");
  private static final String NUMBER_CHARS = "0123456789-.eE+";
  /** A number cannot end with these, so a final run ending in one was cut. */
  private static final String NUMBER_CANNOT_END_WITH = "-.eE+";
  private static final long NO_CUT = Long.MAX_VALUE;

  private final ObjectReader reader;
  private final Set<String> personalFields;

  /**
   * @param mapper only its immutable {@link ObjectReader} is kept; the mapper must not be
   *     reconfigured afterwards, as usual for Jackson
   * @param personalFields names of fields, at any depth, whose values hold personal data: an error
   *     inside one is reported without Jackson's message, which may quote the text (a token)
   */
  StrictJson(ObjectMapper mapper, Set<String> personalFields) {
    this.reader = Objects.requireNonNull(mapper, "mapper")
        .reader()
        .with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    this.personalFields = Set.copyOf(personalFields);
  }

  /** The one JSON value of {@code text}: never null or missing, of any JSON type. */
  JsonNode read(DecodedText text) throws Rejected {
    JsonNode root;
    try (JsonParser p = text.open(reader)) {
      root = readValue(p, text);
      if (root != null && !root.isMissingNode()) {
        requireEnd(p);
      }
    } catch (IOException e) {
      // closing an in-memory parser does not fail; reading an in-memory array neither
      throw new Rejected(RejectionKind.NOT_JSON, String.valueOf(e.getMessage()));
    }
    if (root == null || root.isMissingNode()) {
      throw new Rejected(RejectionKind.EMPTY, "no JSON value (whitespace only)");
    }
    return root;
  }

  private JsonNode readValue(JsonParser p, DecodedText text) throws Rejected, IOException {
    try {
      return reader.readTree(p);
    } catch (JsonEOFException e) {
      throw truncated(text);
    } catch (StreamReadException e) {
      JsonLocation loc = e.getLocation();
      String m = e.getOriginalMessage();
      if (m != null && m.regionMatches(true, 0, END_OF_INPUT, 0, END_OF_INPUT.length())) {
        throw truncated(text);
      }
      if (loc != null && offset(loc) >= incompleteScalarStart(text)) {
        throw truncated(text); // a literal or number cut short: {"optIn":tr
      }
      String personal = enclosingPersonalField(p);
      if (personal != null) {
        throw new Rejected(RejectionKind.NOT_JSON, "invalid JSON in the value of \"" + personal
            + "\" (not shown: personal data) at " + position(loc));
      }
      throw notJson(m, loc);
    } catch (JsonProcessingException e) {
      // databind level (duplicate field names) and stream constraints (nesting, number length)
      throw new Rejected(
          RejectionKind.NOT_JSON, duplicateFieldDetail(e) + " at " + position(e.getLocation()));
    }
  }

  /** The innermost personal field the parser is inside of, or null. */
  private String enclosingPersonalField(JsonParser p) {
    for (JsonStreamContext c = p.getParsingContext(); c != null; c = c.getParent()) {
      String name = c.getCurrentName();
      if (name != null && personalFields.contains(name)) {
        return name;
      }
    }
    return null;
  }

  private static void requireEnd(JsonParser p) throws Rejected, IOException {
    JsonLocation at;
    try {
      if (p.nextToken() == null) {
        return;
      }
      at = p.currentLocation();
    } catch (StreamReadException e) {
      at = e.getLocation();
    }
    throw new Rejected(
        RejectionKind.NOT_JSON, "unexpected content after the JSON value at " + position(at));
  }

  private static Rejected notJson(String message, JsonLocation loc) {
    String m = lowerFirst(message);
    int cut = m.indexOf(JACKSON_SOURCE_NOTE);
    if (cut > 0) {
      m = m.substring(0, cut);
    }
    return new Rejected(RejectionKind.NOT_JSON, m + " at " + position(loc));
  }

  /**
   * Where the text's final token starts when it is a proper prefix of {@code true}, {@code false},
   * {@code null} or a number that cannot end there ({@code 12.}, {@code 1e}, {@code -}), with no
   * whitespace after it; otherwise {@link #NO_CUT}. Jackson reports such cuts as bad tokens rather
   * than as the end of input.
   */
  private static long incompleteScalarStart(DecodedText text) {
    int end = text.length();
    int i = end;
    while (i > 0 && isScalarChar(text.charAt(i - 1))) {
      i--;
    }
    if (i == end) {
      return NO_CUT;
    }
    StringBuilder run = new StringBuilder(end - i);
    for (int k = i; k < end; k++) {
      run.append(text.charAt(k));
    }
    String r = run.toString();
    if (LITERALS.stream().anyMatch(l -> l.length() > r.length() && l.startsWith(r))) {
      return i;
    }
    if (NUMBER_CANNOT_END_WITH.indexOf(r.charAt(r.length() - 1)) < 0) {
      return NO_CUT;
    }
    for (int k = 0; k < r.length(); k++) {
      if (NUMBER_CHARS.indexOf(r.charAt(k)) < 0) {
        return NO_CUT;
      }
    }
    return i;
  }

  private static boolean isScalarChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '.' || c == '-' || c == '+';
  }

  private static Rejected truncated(DecodedText text) {
    return new Rejected(
        RejectionKind.TRUNCATED,
        "unexpected end of input at byte " + text.byteLength() + text.origin());
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
    if (m.startsWith(DUPLICATE_FIELD)) {
      int end = m.indexOf('\'', DUPLICATE_FIELD.length());
      if (end > DUPLICATE_FIELD.length()) {
        return "duplicate field \"" + m.substring(DUPLICATE_FIELD.length(), end) + "\"";
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
}
