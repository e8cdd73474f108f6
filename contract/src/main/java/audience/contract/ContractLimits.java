package audience.contract;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What a {@link ContractParser} is configured with: the size limit of a file, and the clock and skew that bound
 * its instants from above (a {@code lastActive} or activity {@code at} later than now plus {@code maxClockSkew}
 * is {@link RejectionKind#OUT_OF_RANGE}).
 *
 * @param maxFileBytes the size limit, applied to stored and to decompressed bytes
 * @param clock where "now" comes from, read once per file
 * @param maxClockSkew how far ahead of our clock an uploader's may run; not negative
 */
public record ContractLimits(long maxFileBytes, Clock clock, Duration maxClockSkew) {

  /** The default of {@code audience.ingestion.max-clock-skew}. */
  public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofMinutes(5);

  public ContractLimits {
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(maxClockSkew, "maxClockSkew");
    if (maxClockSkew.isNegative()) {
      throw new IllegalArgumentException("maxClockSkew must not be negative, was " + maxClockSkew);
    }
  }

  /** The contract's default size limit and clock skew, with {@code clock}. */
  public static ContractLimits defaults(Clock clock) {
    return new ContractLimits(ContractParser.DEFAULT_MAX_BYTES, clock, DEFAULT_MAX_CLOCK_SKEW);
  }

  /** The latest instant a file parsed now may hold: now plus the skew (the end of time if that overflows). */
  ContractRules.Latest latest() {
    Instant latest;
    try {
      latest = clock.instant().plus(maxClockSkew);
    } catch (DateTimeException | ArithmeticException e) {
      latest = Instant.MAX;
    }
    return new ContractRules.Latest(latest, maxClockSkew);
  }
}
