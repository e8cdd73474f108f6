package audience.contract;

import java.util.Optional;

/** Kinds of member activity; lower case on the wire. */
public enum ActivityType implements WireEnum {
  SEARCH("search"), VIEW("view"), ENQUIRY("enquiry"), SAVE("save");

  private static final ActivityType[] VALUES = values();
  /** Human readable list of the accepted wire values, for rejection details. */
  public static final String EXPECTED = WireEnum.expected(VALUES);

  private final String wire;

  ActivityType(String wire) {
    this.wire = wire;
  }

  @Override
  public String wire() {
    return wire;
  }

  /** The constant for an exact (case-sensitive) wire value. */
  public static Optional<ActivityType> fromWire(String s) {
    return WireEnum.fromWire(VALUES, s);
  }
}
