package audience.segments;

import audience.contract.ActivityType;
import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.PropertyType;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The part of a current member item (the members table, {@code audience.store.MemberStore}) that segments need:
 * no email, no postcode, no listing ids. Built from a scanned item by {@link #fromItem}; ask the scan for {@link
 * #PROJECTION} with {@link #PROJECTION_NAMES} (placeholders, because {@code state} is a DynamoDB reserved word).
 *
 * @param lastActive epoch milliseconds, as stored
 * @param activity the member's activity entries, types and instants only
 */
public record MemberRow(
    String memberId, boolean optIn, AuState state, String suburb, Intent intent, PropertyType propertyType,
    int bedrooms, long priceMin, long priceMax, long lastActive, List<ActivityAt> activity) {

  /** One activity entry: its type and when ({@code at}, epoch milliseconds). */
  public record ActivityAt(ActivityType type, long at) {
    public ActivityAt {
      Objects.requireNonNull(type, "type");
    }
  }

  static final String MEMBER_ID = "memberId";
  static final String LAST_ACTIVE = "lastActive";
  static final String OPT_IN = "optIn";
  static final String STATE = "state";
  static final String SUBURB = "suburb";
  static final String INTENT = "intent";
  static final String PROPERTY_TYPE = "propertyType";
  static final String BEDROOMS = "bedrooms";
  static final String PRICE_MIN = "priceMin";
  static final String PRICE_MAX = "priceMax";
  static final String ACTIVITY = "activity";
  static final String ACTIVITY_TYPE = "type";
  static final String ACTIVITY_AT = "at";
  /** Bedrooms as data contract v1 bounds them. */
  public static final int MIN_BEDROOMS = 0;
  public static final int MAX_BEDROOMS = 10;

  /** The attributes a segment scan reads: expression attribute names (placeholder to attribute). */
  public static final Map<String, String> PROJECTION_NAMES = Map.ofEntries(
      Map.entry("#mid", MEMBER_ID), Map.entry("#la", LAST_ACTIVE), Map.entry("#opt", OPT_IN),
      Map.entry("#st", STATE), Map.entry("#sub", SUBURB), Map.entry("#int", INTENT),
      Map.entry("#pt", PROPERTY_TYPE), Map.entry("#bed", BEDROOMS), Map.entry("#pmin", PRICE_MIN),
      Map.entry("#pmax", PRICE_MAX), Map.entry("#act", ACTIVITY));

  /** The projection expression a segment scan asks for, over {@link #PROJECTION_NAMES}. */
  public static final String PROJECTION = "#mid, #la, #opt, #st, #sub, #int, #pt, #bed, #pmin, #pmax, #act";

  public MemberRow {
    Objects.requireNonNull(memberId, "memberId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(suburb, "suburb");
    Objects.requireNonNull(intent, "intent");
    Objects.requireNonNull(propertyType, "propertyType");
    if (bedrooms < MIN_BEDROOMS || bedrooms > MAX_BEDROOMS) {
      throw new IllegalArgumentException("bedrooms must be " + MIN_BEDROOMS + ".." + MAX_BEDROOMS);
    }
    if (priceMin < 0 || priceMax < priceMin) throw new IllegalArgumentException("needs 0 <= priceMin <= priceMax");
    activity = activity == null ? List.of() : List.copyOf(activity);
  }

  /**
   * The row of a member item. An item that is not one (a missing or malformed attribute) is refused with an
   * {@link IllegalArgumentException} naming the attribute, never its value.
   */
  public static MemberRow fromItem(Map<String, AttributeValue> item) {
    List<ActivityAt> activity = new ArrayList<>();
    AttributeValue list = item.get(ACTIVITY);
    if (list != null && list.hasL()) {
      for (AttributeValue entry : list.l()) {
        if (!entry.hasM()) throw new IllegalArgumentException(ACTIVITY + " holds an entry that is not a map");
        Map<String, AttributeValue> m = entry.m();
        activity.add(new ActivityAt(wire(m, ACTIVITY + "." + ACTIVITY_TYPE, ACTIVITY_TYPE, ActivityType::fromWire),
            instant(m, ACTIVITY_AT)));
      }
    }
    return new MemberRow(string(item, MEMBER_ID), bool(item, OPT_IN), wire(item, STATE, STATE, AuState::fromWire),
        string(item, SUBURB), wire(item, INTENT, INTENT, Intent::fromWire),
        wire(item, PROPERTY_TYPE, PROPERTY_TYPE, PropertyType::fromWire), (int) number(item, BEDROOMS),
        number(item, PRICE_MIN), number(item, PRICE_MAX), number(item, LAST_ACTIVE), activity);
  }

  private static AttributeValue attribute(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    if (v == null) throw new IllegalArgumentException("the item has no " + name);
    return v;
  }

  private static String string(Map<String, AttributeValue> item, String name) {
    String s = attribute(item, name).s();
    if (s == null) throw new IllegalArgumentException(name + " is not a string");
    return s;
  }

  private static boolean bool(Map<String, AttributeValue> item, String name) {
    Boolean b = attribute(item, name).bool();
    if (b == null) throw new IllegalArgumentException(name + " is not a boolean");
    return b;
  }

  private static long number(Map<String, AttributeValue> item, String name) {
    String n = attribute(item, name).n();
    if (n == null) throw new IllegalArgumentException(name + " is not a number");
    try {
      return Long.parseLong(n);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " is not a whole number");
    }
  }

  private static <T> T wire(Map<String, AttributeValue> item, String path, String name,
                            Function<String, Optional<T>> fromWire) {
    return fromWire.apply(string(item, name))
        .orElseThrow(() -> new IllegalArgumentException(path + " is not a valid value"));
  }

  private static long instant(Map<String, AttributeValue> entry, String name) {
    try {
      return Instant.parse(string(entry, name)).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(ACTIVITY + "." + name + " is not an instant");
    }
  }
}
