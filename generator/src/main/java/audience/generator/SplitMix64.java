package audience.generator;

/**
 * SplitMix64 (Steele, Lea, Flood 2014), spelled out so that generated data never depends on the
 * JDK's choice of random algorithm. Not thread-safe; create one per use.
 */
final class SplitMix64 {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private long state;

  SplitMix64(long seed) {
    this.state = seed;
  }

  /** The SplitMix64 finaliser: a bijection on 64-bit values with good avalanche. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A well mixed value for (seed, stream, index); distinct streams are independent. */
  static long hash(long seed, long stream, long index) {
    return mix(mix(seed + stream * GOLDEN) + index * 0xD1B54A32D192ED03L);
  }

  long nextLong() {
    return mix(state += GOLDEN);
  }

  /** Uniform in [0, bound). */
  int nextInt(int bound) {
    return (int) ((nextLong() >>> 33) % bound);
  }

  /** Uniform in [from, to] (inclusive). */
  int between(int from, int to) {
    return from + nextInt(to - from + 1);
  }

  /** Uniform in [0, 1). */
  double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  boolean chance(double p) {
    return nextDouble() < p;
  }

  <T> T pick(T[] values) {
    return values[nextInt(values.length)];
  }

  /** Uniform in [0, 1) from a hash value. */
  static double unit(long hash) {
    return (hash >>> 11) * 0x1.0p-53;
  }
}
