package audience.contract;

import java.util.Optional;

/** Australian states and territories, spelled in upper case on the wire. */
public enum AuState implements WireEnum {
  NSW, VIC, QLD, WA, SA, TAS, ACT, NT;

  /** Human readable list of the accepted wire values, for rejection details. */
  public static final String EXPECTED = "NSW, VIC, QLD, WA, SA, TAS, ACT, NT";

  @Override
  public String wire() {
    return name();
  }

  /** The state for an exact (case-sensitive) wire value. */
  public static Optional<AuState> fromWire(String s) {
    return Optional.ofNullable(switch (s) {
      case "NSW" -> NSW;
      case "VIC" -> VIC;
      case "QLD" -> QLD;
      case "WA" -> WA;
      case "SA" -> SA;
      case "TAS" -> TAS;
      case "ACT" -> ACT;
      case "NT" -> NT;
      default -> null;
    });
  }
}
