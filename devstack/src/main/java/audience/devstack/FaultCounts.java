package audience.devstack;

import audience.devstack.DevStack.Service;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the fault proxy decided since the rules were last set, per service (keyed as in {@link FaultRules}: "s3",
 * "dynamodb", ...): every request it saw, and per rule how many requests it matched and what it did to them.
 * As JSON: {@code {"s3": {"requests": 12, "rules": {"denied": {"matched": 3, "errors": 3, "resets": 0,
 * "slowBodies": 0}}}}}.
 */
public record FaultCounts(@JsonValue Map<String, ServiceCounts> services) {
  /** One service: {@code requests} counts those no rule matched too. */
  public record ServiceCounts(long requests, Map<String, RuleCounts> rules) {
    static final ServiceCounts NONE = new ServiceCounts(0, Map.of());

    public ServiceCounts {
      rules = Map.copyOf(rules);
    }

    /** The counts of one rule; zero when it matched nothing. */
    public RuleCounts rule(String name) {
      return rules.getOrDefault(name, RuleCounts.NONE);
    }
  }

  /** One rule. */
  public record RuleCounts(long matched, long errors, long resets, long slowBodies) {
    static final RuleCounts NONE = new RuleCounts(0, 0, 0, 0);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public FaultCounts {
    services = new TreeMap<>(services);
  }

  /** The counts of one service; zero when it saw no request. */
  public ServiceCounts of(Service service) {
    return services.getOrDefault(FaultRules.key(service), ServiceCounts.NONE);
  }
}
