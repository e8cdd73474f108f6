package audience.segments;

import audience.config.Settings;
import audience.contract.Intent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The price bands of every intent, and the buckets of the price distribution within a band. Immutable.
 *
 * <p><b>Banding rule.</b> A member's banding price is the midpoint of {@code priceMin..priceMax}, rounded down
 * ({@link #bandingPrice}); the member falls in the band of their intent that contains it. Bands are given by their
 * ascending lower bounds, the first 0, so every price falls in exactly one band: {@code [b0, b1), [b1, b2), ...,
 * [bn, no limit)}.
 *
 * <p><b>Buckets.</b> Within a band, the banding price is counted in one of {@link #buckets()} equal-width buckets
 * over the band's span ({@code high - low}): bucket {@code i} holds the prices {@code p} with {@code
 * floor((p - low) * buckets / span) == i}, i.e. {@code [low + ceil(i * span / buckets), low + ceil((i + 1) * span /
 * buckets))}; widths differ by at most a dollar when the span does not divide. An open band has no span of its own:
 * it uses the span of the band below it, and its last bucket is open (every price from its low up).
 */
public final class PriceBands {
  private final Map<Intent, long[]> bounds;
  private final Map<Intent, List<PriceBand>> bands;
  private final int buckets;

  private PriceBands(Map<Intent, long[]> bounds, int buckets) {
    this.bounds = bounds;
    this.buckets = buckets;
    Map<Intent, List<PriceBand>> all = new EnumMap<>(Intent.class);
    bounds.forEach((intent, b) -> {
      List<PriceBand> list = new ArrayList<>(b.length);
      for (int i = 0; i < b.length; i++) list.add(new PriceBand(b[i], i + 1 < b.length ? b[i + 1] : PriceBand.OPEN));
      all.put(intent, List.copyOf(list));
    });
    this.bands = all;
  }

  /**
   * Bands from the ascending lower bounds of each intent (every intent present, the first bound 0, at least two,
   * each band at least {@code buckets} wide) and the number of buckets within a band.
   */
  public static PriceBands of(Map<Intent, List<Long>> lowerBounds, int buckets) {
    if (buckets < 1) throw new IllegalArgumentException("buckets must be at least 1, got " + buckets);
    Map<Intent, long[]> bounds = new EnumMap<>(Intent.class);
    for (Intent intent : Intent.values()) {
      List<Long> b = lowerBounds.get(intent);
      if (b == null) throw new IllegalArgumentException("no price bands for intent " + intent.wire());
      long[] a = b.stream().mapToLong(Long::longValue).toArray();
      if (a.length < 2 || a[0] != 0) {
        throw new IllegalArgumentException("the price bands of " + intent.wire()
            + " need at least two lower bounds, the first 0, got " + b);
      }
      for (int i = 1; i < a.length; i++) {
        long span = a[i] - a[i - 1];
        if (span < buckets) {
          throw new IllegalArgumentException("the price bands of " + intent.wire() + " must ascend, each at least "
              + buckets + " wide, got " + b);
        }
        Math.multiplyExact(span, buckets); // the bucket arithmetic must not overflow
      }
      bounds.put(intent, a);
    }
    return new PriceBands(bounds, buckets);
  }

  /** The bands of {@code audience.segments.price-bands}, keyed by intent wire name; unknown intents are refused. */
  public static PriceBands from(Settings.SegmentSettings settings) {
    Map<Intent, List<Long>> lowerBounds = new EnumMap<>(Intent.class);
    settings.priceBands().forEach((wire, b) -> lowerBounds.put(Intent.fromWire(wire).orElseThrow(() ->
        new IllegalArgumentException("audience.segments.price-bands." + wire + " is not an intent (expected one of "
            + Intent.EXPECTED + ")")), b));
    return of(lowerBounds, settings.priceBuckets());
  }

  /** The midpoint of {@code priceMin..priceMax}, rounded down (no overflow). */
  public static long bandingPrice(long priceMin, long priceMax) {
    return priceMin + (priceMax - priceMin) / 2;
  }

  /** The bands of an intent, ascending; the last is open. */
  public List<PriceBand> bands(Intent intent) {
    return bands.get(intent);
  }

  /** The band of {@code intent} that holds {@code price} (not negative). */
  public PriceBand bandOf(Intent intent, long price) {
    if (price < 0) throw new IllegalArgumentException("a price is not negative, got " + price);
    long[] b = bounds.get(intent);
    int at = Arrays.binarySearch(b, price);
    int index = at >= 0 ? at : -at - 2; // the greatest lower bound <= price; b[0] = 0 makes it >= 0
    return bands.get(intent).get(index);
  }

  /** Buckets of the price distribution within a band. */
  public int buckets() {
    return buckets;
  }

  /** The bucket (0 .. buckets - 1) of {@code price} within {@code band}, one of the bands of {@code intent}. */
  public int bucketOf(Intent intent, PriceBand band, long price) {
    if (!band.contains(price)) throw new IllegalArgumentException(price + " is not in band " + band.label());
    long span = span(intent, band);
    long offset = Math.min(price - band.low(), span - 1); // an open band's prices above its nominal span: last bucket
    return (int) (offset * buckets / span);
  }

  /** The price ranges of the buckets of {@code band}; the last is open when the band is. */
  public List<PriceBand> bucketRanges(Intent intent, PriceBand band) {
    long span = span(intent, band);
    List<PriceBand> ranges = new ArrayList<>(buckets);
    for (int i = 0; i < buckets; i++) {
      long high = i + 1 == buckets ? band.high() : band.low() + ceilDiv((i + 1) * span, buckets);
      ranges.add(new PriceBand(band.low() + ceilDiv(i * span, buckets), high));
    }
    return List.copyOf(ranges);
  }

  /** A closed band's width; an open band's: the width of the band below it. */
  private long span(Intent intent, PriceBand band) {
    if (!band.open()) return band.high() - band.low();
    long[] b = bounds.get(intent);
    return b[b.length - 1] - b[b.length - 2];
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PriceBands other) || other.buckets != buckets) return false;
    for (Intent intent : Intent.values()) {
      if (!Arrays.equals(bounds.get(intent), other.bounds.get(intent))) return false;
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = buckets;
    for (Intent intent : Intent.values()) h = 31 * h + Arrays.hashCode(bounds.get(intent));
    return h;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("PriceBands{buckets=").append(buckets);
    bounds.forEach((intent, b) -> s.append(", ").append(intent.wire()).append('=').append(Arrays.toString(b)));
    return s.append('}').toString();
  }
}
