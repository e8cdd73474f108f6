package audience.contract;

import java.util.Optional;

/** What the member wants to do; lower case on the wire. */
public enum Intent implements WireEnum {
  BUY("buy"), RENT("rent"), SELL("sell"), INVEST("invest");

  private static final Intent[] VALUES = values();
  /** Human readable list of the accepted wire values, for rejection details. */
  public static final String EXPECTED = WireEnum.expected(VALUES);

  private final String wire;

  Intent(String wire) {
    this.wire = wire;
  }

  @Override
  public String wire() {
    return wire;
  }

  /** The constant for an exact (case-sensitive) wire value. */
  public static Optional<Intent> fromWire(String s) {
    return WireEnum.fromWire(VALUES, s);
  }
}
