package audience.bookings;

import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One row of an audience file: the part of a current member item (the members table, {@code audience.store.MemberStore})
 * that the file carries, plus the prices its band is checked with. Personal data: never logged, never in an error.
 *
 * @param state, intent, propertyType wire values as stored ({@code NSW}, {@code buy}, {@code apartment})
 * @param lastActive as stored (epoch milliseconds), written ISO-8601 in UTC
 */
public record AudienceMember(String memberId, String email, String suburb, String state, String postcode,
                             String intent, String propertyType, int bedrooms, Instant lastActive, long priceMin,
                             long priceMax) {
  static final String MEMBER_ID = "memberId";
  static final String EMAIL = "email";
  static final String SUBURB = "suburb";
  static final String STATE = "state";
  static final String POSTCODE = "postcode";
  static final String INTENT = "intent";
  static final String PROPERTY_TYPE = "propertyType";
  static final String BEDROOMS = "bedrooms";
  static final String LAST_ACTIVE = "lastActive";
  static final String PRICE_MIN = "priceMin";
  static final String PRICE_MAX = "priceMax";
  static final String OPT_IN = "optIn";

  /** Placeholders of the export's scan (several of these, like {@code state}, are DynamoDB reserved words). */
  static final Map<String, String> NAMES = Map.ofEntries(Map.entry("#mid", MEMBER_ID), Map.entry("#em", EMAIL),
      Map.entry("#sub", SUBURB), Map.entry("#st", STATE), Map.entry("#pc", POSTCODE), Map.entry("#int", INTENT),
      Map.entry("#pt", PROPERTY_TYPE), Map.entry("#bed", BEDROOMS), Map.entry("#la", LAST_ACTIVE),
      Map.entry("#pmin", PRICE_MIN), Map.entry("#pmax", PRICE_MAX), Map.entry("#opt", OPT_IN));

  /** The attributes the export reads: the columns and the prices, no activity. */
  static final String PROJECTION = "#mid, #em, #sub, #st, #pc, #int, #pt, #bed, #la, #pmin, #pmax";

  public AudienceMember {
    Objects.requireNonNull(memberId, MEMBER_ID);
    Objects.requireNonNull(email, EMAIL);
    Objects.requireNonNull(suburb, SUBURB);
    Objects.requireNonNull(state, STATE);
    Objects.requireNonNull(postcode, POSTCODE);
    Objects.requireNonNull(intent, INTENT);
    Objects.requireNonNull(propertyType, PROPERTY_TYPE);
    Objects.requireNonNull(lastActive, LAST_ACTIVE);
  }

  /**
   * The row of a scanned member item. An item missing an attribute, or with one of the wrong type, is refused with an
   * {@link IllegalArgumentException} naming the attribute, never a value.
   */
  public static AudienceMember fromItem(Map<String, AttributeValue> item) {
    return new AudienceMember(string(item, MEMBER_ID), string(item, EMAIL), string(item, SUBURB),
        string(item, STATE), string(item, POSTCODE), string(item, INTENT), string(item, PROPERTY_TYPE),
        Math.toIntExact(number(item, BEDROOMS)), Instant.ofEpochMilli(number(item, LAST_ACTIVE)),
        number(item, PRICE_MIN), number(item, PRICE_MAX));
  }

  private static String string(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    if (v == null || v.s() == null) throw new IllegalArgumentException(name + " is missing or not a string");
    return v.s();
  }

  private static long number(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    if (v == null || v.n() == null) throw new IllegalArgumentException(name + " is missing or not a number");
    try {
      return Long.parseLong(v.n());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " is not a whole number");
    }
  }
}
