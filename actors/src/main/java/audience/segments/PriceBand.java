package audience.segments;

/**
 * One price band, {@code [low, high)}; the last band of an intent is open ({@code high == }{@link #OPEN}), and then
 * holds every value from {@code low} up. Prices are whole dollars (a weekly rent for intent rent).
 *
 * <p>Its label, part of a segment id, is {@code <low>-<high>} ({@code 750000-1000000}), or {@code <low>-plus} for the
 * open band ({@code 3000000-plus}).
 */
public record PriceBand(long low, long high) {
  /** The {@code high} of an open band. */
  public static final long OPEN = Long.MAX_VALUE;
  static final String OPEN_LABEL = "plus";
  static final char LABEL_SEPARATOR = '-';

  public PriceBand {
    if (low < 0 || high <= low) {
      throw new IllegalArgumentException("a price band needs 0 <= low < high, got " + low + ".." + high);
    }
  }

  public boolean open() {
    return high == OPEN;
  }

  /** Whether {@code price} lies in this band. */
  public boolean contains(long price) {
    return price >= low && (open() || price < high);
  }

  public String label() {
    return low + String.valueOf(LABEL_SEPARATOR) + (open() ? OPEN_LABEL : Long.toString(high));
  }

  /** The band a {@link #label()} names. */
  public static PriceBand parse(String label) {
    int dash = label.indexOf(LABEL_SEPARATOR);
    if (dash <= 0) throw new IllegalArgumentException("not a price band label: " + label);
    String high = label.substring(dash + 1);
    try {
      return new PriceBand(Long.parseLong(label.substring(0, dash)),
          high.equals(OPEN_LABEL) ? OPEN : Long.parseLong(high));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a price band label: " + label, e);
    }
  }
}
