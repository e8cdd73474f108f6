package audience.devstack;

import audience.devstack.DevStack.Service;
import audience.devstack.FaultDialect.AwsError;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fault rules in force in the devstack JVM, shared by every {@link FaultProxy} and changed at run time through
 * the control endpoint ({@link FaultControl}): decides per request what happens to it, from the rules and seeded
 * draws, and counts what it decided since the rules were last set.
 *
 * <p>Each service draws from a {@link Random} of its own, seeded from the rules' seed and the service: a client
 * that sends one request after the other sees the same faults on every run. Every request takes the same number of
 * draws whichever rule applies, so that one rule's effects do not shift another's.
 */
final class FaultState {
  private static final Logger log = LoggerFactory.getLogger(FaultState.class);
  /** Spreads the seeds of the services apart (the 64-bit golden ratio, as in SplittableRandom). */
  private static final long SEED_SPREAD = 0x9E3779B97F4A7C15L;
  /** The rule name counted for requests no rule matched. */
  static final String NO_RULE = "(none)";

  /** What happens to one request, after its latency. */
  sealed interface Outcome permits Pass, Fail, Reset, SlowBody {}

  /** Forwarded to the emulator; its answer goes back unchanged. */
  record Pass() implements Outcome {}

  /** Answered by the proxy with this error, in the service's dialect. */
  record Fail(AwsError error) implements Outcome {}

  /** The connection is closed with a TCP reset, without an answer. */
  record Reset() implements Outcome {}

  /** Forwarded; the answer's body goes back {@link FaultRule#SLOW_BODY_PIECE_BYTES} at a time. */
  record SlowBody(long pauseMs) implements Outcome {}

  /**
   * The decision for one request.
   *
   * @param rule the name of the rule that applied, or {@link #NO_RULE}
   * @param operation the request's operation, as the dialect reads it
   */
  record Decision(String rule, String operation, long latencyMs, Outcome outcome) {}

  /** One rule's tally. */
  private static final class Tally {
    final LongAdder matched = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder resets = new LongAdder();
    final LongAdder slowBodies = new LongAdder();
  }

  /** The rules and what goes with them; replaced as a whole so a request never sees half a change. */
  private record Generation(FaultRules rules, Map<Service, Random> randoms,
                            Map<Service, Map<String, Tally>> tallies, Map<Service, LongAdder> requests) {
    static Generation of(FaultRules rules) {
      Map<Service, Random> randoms = new EnumMap<>(Service.class);
      Map<Service, Map<String, Tally>> tallies = new EnumMap<>(Service.class);
      Map<Service, LongAdder> requests = new EnumMap<>(Service.class);
      for (Service s : Service.values()) {
        randoms.put(s, new Random(rules.seed() + SEED_SPREAD * (s.ordinal() + 1)));
        tallies.put(s, new ConcurrentHashMap<>());
        requests.put(s, new LongAdder());
      }
      return new Generation(rules, randoms, tallies, requests);
    }
  }

  private volatile Generation current = Generation.of(FaultRules.none());

  /** Puts {@code rules} in force and starts counting afresh; logs each service's rules. */
  void set(FaultRules rules) {
    Generation previous = current;
    current = Generation.of(rules);
    log.info("fault rules set (seed {}); counts under the previous rules: {}", rules.seed(), counts(previous));
    for (Service s : Service.values()) {
      for (FaultRule rule : rules.of(s)) {
        log.info("  {} rule '{}':{}", FaultRules.key(s), rule.name(), rule.describe());
      }
    }
    if (rules.services().isEmpty()) log.info("  no rules: every request passes unchanged");
  }

  FaultRules rules() {
    return current.rules();
  }

  /** Decides what happens to a request of {@code service} (draws from its random, counts the outcome). */
  Decision decide(Service service, FaultDialect dialect, HttpWire.Head request, byte[] body) {
    Generation g = current;
    g.requests().get(service).increment();
    String operation = dialect.operation(request, body);
    String path = request.decodedPath();
    FaultRule rule = null;
    for (FaultRule r : g.rules().of(service)) {
      if (r.match().accepts(operation, path)) {
        rule = r;
        break;
      }
    }
    if (rule == null) return new Decision(NO_RULE, operation, 0, new Pass());

    double resetDraw;
    double errorDraw;
    double errorPick;
    double slowDraw;
    double jitterDraw;
    Random random = g.randoms().get(service);
    synchronized (random) {
      resetDraw = random.nextDouble();
      errorDraw = random.nextDouble();
      errorPick = random.nextDouble();
      slowDraw = random.nextDouble();
      jitterDraw = random.nextDouble();
    }
    Tally tally = g.tallies().get(service).computeIfAbsent(rule.name(), unused -> new Tally());
    tally.matched.increment();
    long latency = rule.latencyMs() + Math.round(jitterDraw * rule.jitterMs());
    Outcome outcome;
    if (resetDraw < rule.resetProbability()) {
      tally.resets.increment();
      outcome = new Reset();
    } else if (errorDraw < rule.errorProbability()) {
      List<String> codes = rule.errors().isEmpty() ? List.of(dialect.errors().get(0).code()) : rule.errors();
      tally.errors.increment();
      outcome = new Fail(dialect.error(codes.get((int) (errorPick * codes.size()))));
    } else if (slowDraw < rule.slowBodyProbability()) {
      tally.slowBodies.increment();
      outcome = new SlowBody(rule.slowBodyPauseMs());
    } else {
      outcome = new Pass();
    }
    return new Decision(rule.name(), operation, latency, outcome);
  }

  /** What was decided since the rules were set. */
  FaultCounts counts() {
    return counts(current);
  }

  private static FaultCounts counts(Generation g) {
    Map<String, FaultCounts.ServiceCounts> services = new TreeMap<>();
    for (Service s : Service.values()) {
      long requests = g.requests().get(s).sum();
      if (requests == 0) continue;
      Map<String, FaultCounts.RuleCounts> rules = new TreeMap<>();
      g.tallies().get(s).forEach((name, t) -> rules.put(name, new FaultCounts.RuleCounts(
          t.matched.sum(), t.errors.sum(), t.resets.sum(), t.slowBodies.sum())));
      services.put(FaultRules.key(s), new FaultCounts.ServiceCounts(requests, rules));
    }
    return new FaultCounts(services);
  }
}
