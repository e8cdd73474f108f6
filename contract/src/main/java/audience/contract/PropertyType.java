package audience.contract;

import java.util.Optional;

/** The kind of property the member is interested in; lower case on the wire. */
public enum PropertyType implements WireEnum {
  HOUSE("house"), APARTMENT("apartment"), TOWNHOUSE("townhouse"), LAND("land");

  private static final PropertyType[] VALUES = values();
  /** Human readable list of the accepted wire values, for rejection details. */
  public static final String EXPECTED = WireEnum.expected(VALUES);

  private final String wire;

  PropertyType(String wire) {
    this.wire = wire;
  }

  @Override
  public String wire() {
    return wire;
  }

  /** The constant for an exact (case-sensitive) wire value. */
  public static Optional<PropertyType> fromWire(String s) {
    return WireEnum.fromWire(VALUES, s);
  }
}
