package audience.contract;

import java.util.Optional;

/** Kinds of member activity; lower case on the wire. */
public enum ActivityType implements WireEnum {
  SEARCH("search"), VIEW("view"), ENQUIRY("enquiry"), SAVE("save");

  /** Human readable list of the accepted wire values, for rejection details. */
  public static final String EXPECTED = "search, view, enquiry, save";

  private final String wire;

  ActivityType(String wire) {
    this.wire = wire;
  }

  @Override
  public String wire() {
    return wire;
  }

  /** The activity type for an exact (case-sensitive) wire value. */
  public static Optional<ActivityType> fromWire(String s) {
    return Optional.ofNullable(switch (s) {
      case "search" -> SEARCH;
      case "view" -> VIEW;
      case "enquiry" -> ENQUIRY;
      case "save" -> SAVE;
      default -> null;
    });
  }
}
