package audience.contract;

import java.util.Optional;

/** Australian states and territories, spelled in upper case on the wire. */
public enum AuState implements WireEnum {
  NSW, VIC, QLD, WA, SA, TAS, ACT, NT;

  private static final AuState[] VALUES = values();
  /** Human readable list of the accepted wire values, for rejection details. */
  public static final String EXPECTED = WireEnum.expected(VALUES);

  @Override
  public String wire() {
    return name();
  }

  /** The state for an exact (case-sensitive) wire value. */
  public static Optional<AuState> fromWire(String s) {
    return WireEnum.fromWire(VALUES, s);
  }
}
