package audience.bookings;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The audience file's CSV (docs/bookings.md "Audience file"): RFC 4180, UTF-8 without a byte order mark, CRLF after
 * every record, a header record first. A field is quoted when it holds a comma, a double quote, CR or LF (a double
 * quote inside is doubled); every other field is written as it is, unicode included.
 */
public final class AudienceCsv {
  /** The columns, in order. */
  public static final List<String> COLUMNS = List.of("memberId", "email", "suburb", "state", "postcode", "intent",
      "propertyType", "bedrooms", "lastActive");
  private static final char QUOTE = '"';
  private static final char SEPARATOR = ',';
  private static final String END_OF_RECORD = "\r\n";

  private AudienceCsv() {}

  /** The header record's bytes. */
  public static byte[] header() {
    return record(COLUMNS);
  }

  /** One member's record's bytes, the fields in the order of {@link #COLUMNS}. */
  public static byte[] row(AudienceMember m) {
    return record(List.of(m.memberId(), m.email(), m.suburb(), m.state(), m.postcode(), m.intent(),
        m.propertyType(), Integer.toString(m.bedrooms()), m.lastActive().toString()));
  }

  /** A record of {@code fields}, each quoted when needed, CRLF at the end. */
  static byte[] record(List<String> fields) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < fields.size(); i++) {
      if (i > 0) b.append(SEPARATOR);
      field(b, fields.get(i));
    }
    return b.append(END_OF_RECORD).toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void field(StringBuilder b, String value) {
    boolean quoted = value.indexOf(SEPARATOR) >= 0 || value.indexOf(QUOTE) >= 0 || value.indexOf('\r') >= 0
        || value.indexOf('\n') >= 0;
    if (!quoted) {
      b.append(value);
      return;
    }
    b.append(QUOTE);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == QUOTE) b.append(QUOTE);
      b.append(c);
    }
    b.append(QUOTE);
  }
}
