package audience.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * One operation's requests in a measured window: every latency (errors included), sorted, and the errors by code.
 * Percentiles are exact (nearest rank) over every sample: a 30-second run of a few thousand requests a second fits
 * in memory, so no histogram's bucketing is needed.
 *
 * @param nanos each request's latency in nanoseconds, ascending
 * @param errors how many answers were errors, by code ({@link ApiOperation#error})
 * @param skipped steps of the mix that had nothing to do (a cancel with no live booking: the booking failed)
 */
record ApiSamples(long[] nanos, Map<String, Long> errors, long skipped) {
  static final ApiSamples NONE = new ApiSamples(new long[0], Map.of(), 0);
  private static final double NANOS_PER_MILLI = 1e6;
  private static final double PERCENT = 100.0;

  ApiSamples {
    nanos = nanos.clone();
    Arrays.sort(nanos);
    errors = Map.copyOf(errors);
  }

  long requests() {
    return nanos.length;
  }

  long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /**
   * The latency at percentile {@code p} (0 < p <= 100) in milliseconds, by nearest rank: the smallest sample with at
   * least p % of the samples at or under it; null without samples.
   */
  Double percentileMs(double p) {
    if (p <= 0 || p > PERCENT) throw new IllegalArgumentException("a percentile is in (0, 100], was " + p);
    if (nanos.length == 0) return null;
    int rank = (int) Math.ceil(p / PERCENT * nanos.length);
    return nanos[Math.max(rank, 1) - 1] / NANOS_PER_MILLI;
  }

  /** The slowest request in milliseconds; null without samples. */
  Double maxMs() {
    return nanos.length == 0 ? null : nanos[nanos.length - 1] / NANOS_PER_MILLI;
  }

  /** Several operations' samples as one: the overall figures of the mix. */
  static ApiSamples merge(Collection<ApiSamples> parts) {
    long[] all = parts.stream().flatMapToLong(s -> Arrays.stream(s.nanos())).toArray();
    Map<String, Long> errors = new TreeMap<>();
    parts.forEach(s -> s.errors().forEach((code, n) -> errors.merge(code, n, Long::sum)));
    return new ApiSamples(all, errors, parts.stream().mapToLong(ApiSamples::skipped).sum());
  }

  /** Collects one connection's samples of one operation (one thread: not thread-safe). */
  static final class Recorder {
    private static final int INITIAL = 1024;
    private long[] nanos = new long[INITIAL];
    private int n;
    private final Map<String, Long> errors = new TreeMap<>();
    private long skipped;

    void ok(long latencyNanos) {
      if (n == nanos.length) nanos = Arrays.copyOf(nanos, n * 2);
      nanos[n++] = latencyNanos;
    }

    void error(long latencyNanos, String code) {
      ok(latencyNanos);
      errors.merge(code, 1L, Long::sum);
    }

    void skip() {
      skipped++;
    }

    ApiSamples samples() {
      return new ApiSamples(Arrays.copyOf(nanos, n), errors, skipped);
    }
  }
}
