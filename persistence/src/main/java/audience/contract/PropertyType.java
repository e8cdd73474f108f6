package audience.contract;

import java.util.Optional;

/** The kind of property the member is interested in; lower case on the wire. */
public enum PropertyType implements WireEnum {
  HOUSE("house"), APARTMENT("apartment"), TOWNHOUSE("townhouse"), LAND("land");

  /** Human readable list of the accepted wire values, for rejection details. */
  public static final String EXPECTED = "house, apartment, townhouse, land";

  private final String wire;

  PropertyType(String wire) {
    this.wire = wire;
  }

  @Override
  public String wire() {
    return wire;
  }

  /** The property type for an exact (case-sensitive) wire value. */
  public static Optional<PropertyType> fromWire(String s) {
    return Optional.ofNullable(switch (s) {
      case "house" -> HOUSE;
      case "apartment" -> APARTMENT;
      case "townhouse" -> TOWNHOUSE;
      case "land" -> LAND;
      default -> null;
    });
  }
}
