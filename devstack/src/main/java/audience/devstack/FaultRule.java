package audience.devstack;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What the fault proxy does to the requests of one service that this rule matches: added latency, and with seeded
 * probabilities an error in the service's own dialect, a connection reset, or a slow body. The first rule of a
 * service whose {@link Match} accepts a request applies; a request no rule matches passes unchanged.
 *
 * <p>The draws are independent and taken in this order: reset (the connection is closed without an answer, the
 * request never reaches the emulator), else error (the proxy answers, the request never reaches the emulator), else
 * slow body (the emulator's answer is dribbled back). Latency comes first, whatever follows.
 *
 * @param name names the rule in logs and counts; defaults to {@code rule-<n>} (its position, from 1)
 * @param match which requests it applies to; {@link Match#ANY} when absent
 * @param latencyMs added before each matched request is forwarded or answered
 * @param jitterMs up to this much more latency, uniformly drawn
 * @param errorProbability chance of answering with one of {@code errors} instead of the emulator
 * @param errors error codes of the service's dialect ({@link FaultDialect}), one drawn per error; empty: the
 *     service's throttling error
 * @param resetProbability chance of closing the connection with a TCP reset instead of answering
 * @param slowBodyProbability chance of sending the emulator's answer body slowly
 * @param slowBodyPauseMs the pause between two pieces of a slow body ({@link #SLOW_BODY_PIECE_BYTES} each);
 *     defaults to {@link #DEFAULT_SLOW_BODY_PAUSE_MS}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FaultRule(String name, Match match, long latencyMs, long jitterMs, double errorProbability,
    List<String> errors, double resetProbability, double slowBodyProbability, Long slowBodyPauseMs) {

  /** A slow body goes out in pieces this small: a few TCP segments' worth would still arrive at once. */
  public static final int SLOW_BODY_PIECE_BYTES = 64;
  /** 64 bytes per 20 ms is ~3 KB/s: a typical member file takes about two seconds. */
  public static final long DEFAULT_SLOW_BODY_PAUSE_MS = 20;

  /**
   * Which requests a rule applies to; every given criterion must hold, a null one accepts all.
   *
   * @param operation the request's operation: the S3 operation name ({@code GetObject}, {@code ListObjectsV2},
   *     {@code PutObject}, ...), the {@code X-Amz-Target} action of DynamoDB, Kinesis and SQS
   *     ({@code BatchWriteItem}, {@code ReceiveMessage}, ...), or the SNS {@code Action} ({@code Publish})
   * @param pathContains a substring of the request's decoded path (for S3: {@code /bucket/key})
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Match(String operation, String pathContains) {
    /** Accepts every request. */
    public static final Match ANY = new Match(null, null);

    public static Match operation(String operation) {
      return new Match(Objects.requireNonNull(operation, "operation"), null);
    }

    public static Match pathContains(String part) {
      return new Match(null, Objects.requireNonNull(part, "part"));
    }

    boolean accepts(String requestOperation, String decodedPath) {
      return (operation == null || operation.equals(requestOperation))
          && (pathContains == null || decodedPath.contains(pathContains));
    }
  }

  public FaultRule {
    match = match == null ? Match.ANY : match;
    errors = errors == null ? List.of() : List.copyOf(errors);
    slowBodyPauseMs = slowBodyPauseMs == null ? DEFAULT_SLOW_BODY_PAUSE_MS : slowBodyPauseMs;
    requireProbability("errorProbability", errorProbability);
    requireProbability("resetProbability", resetProbability);
    requireProbability("slowBodyProbability", slowBodyProbability);
    requireNotNegative("latencyMs", latencyMs);
    requireNotNegative("jitterMs", jitterMs);
    requireNotNegative("slowBodyPauseMs", slowBodyPauseMs);
  }

  /** A rule that applies to every request of its service and does nothing until given effects. */
  public static FaultRule all(String name) {
    return new FaultRule(name, Match.ANY, 0, 0, 0, List.of(), 0, 0, null);
  }

  /** A rule that applies to the requests {@code match} accepts and does nothing until given effects. */
  public static FaultRule matching(String name, Match match) {
    return new FaultRule(name, match, 0, 0, 0, List.of(), 0, 0, null);
  }

  /** The same rule, adding {@code latencyMs} plus up to {@code jitterMs} to each request. */
  public FaultRule withLatency(long latencyMs, long jitterMs) {
    return new FaultRule(name, match, latencyMs, jitterMs, errorProbability, errors, resetProbability,
        slowBodyProbability, slowBodyPauseMs);
  }

  /** The same rule, answering with one of {@code codes} (none: the throttling error) with this probability. */
  public FaultRule withErrors(double probability, String... codes) {
    return new FaultRule(name, match, latencyMs, jitterMs, probability, List.of(codes), resetProbability,
        slowBodyProbability, slowBodyPauseMs);
  }

  /** The same rule, resetting the connection with this probability. */
  public FaultRule withResets(double probability) {
    return new FaultRule(name, match, latencyMs, jitterMs, errorProbability, errors, probability,
        slowBodyProbability, slowBodyPauseMs);
  }

  /** The same rule, dribbling the answer's body with this probability, {@code pauseMs} between pieces. */
  public FaultRule withSlowBodies(double probability, long pauseMs) {
    return new FaultRule(name, match, latencyMs, jitterMs, errorProbability, errors, resetProbability,
        probability, pauseMs);
  }

  /** The same rule under another name. */
  public FaultRule named(String newName) {
    return new FaultRule(newName, match, latencyMs, jitterMs, errorProbability, errors, resetProbability,
        slowBodyProbability, slowBodyPauseMs);
  }

  /** Whether the rule does anything at all. */
  boolean active() {
    return latencyMs > 0 || jitterMs > 0 || errorProbability > 0 || resetProbability > 0 || slowBodyProbability > 0;
  }

  /** For logs: the rule's effects in one line. */
  String describe() {
    StringBuilder b = new StringBuilder();
    if (match.operation() != null) b.append(" operation=").append(match.operation());
    if (match.pathContains() != null) b.append(" pathContains=\"").append(match.pathContains()).append('"');
    if (latencyMs > 0 || jitterMs > 0) b.append(" latency=").append(latencyMs).append("+").append(jitterMs).append("ms");
    if (errorProbability > 0) b.append(" errors=").append(percent(errorProbability)).append(errors.isEmpty() ? "[throttling]" : errors);
    if (resetProbability > 0) b.append(" resets=").append(percent(resetProbability));
    if (slowBodyProbability > 0) {
      b.append(" slowBodies=").append(percent(slowBodyProbability)).append("@").append(slowBodyPauseMs).append("ms");
    }
    return b.length() == 0 ? " (nothing)" : b.toString();
  }

  private static String percent(double p) {
    return String.format(Locale.ROOT, "%.4g%%", p * 100);
  }

  private static void requireProbability(String what, double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(what + " must be in [0, 1], not " + p);
    }
  }

  private static void requireNotNegative(String what, long v) {
    if (v < 0) {
      throw new IllegalArgumentException(what + " must not be negative, not " + v);
    }
  }
}
