package audience.devstack;

import audience.devstack.DevStack.Service;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Every fault rule of the devstack's fault proxy: per service an ordered list of {@link FaultRule}s (the first that
 * matches a request applies), and one seed for every draw. As JSON (what {@code POST /faults} takes):
 *
 * <pre>
 * {"seed": 42,
 *  "s3": [{"name": "denied", "match": {"pathContains": "/bench/00017"}, "errorProbability": 1, "errors": ["AccessDenied"]},
 *         {"name": "slow", "latencyMs": 5, "jitterMs": 2, "errorProbability": 0.05}],
 *  "dynamodb": [{"errorProbability": 0.05, "errors": ["ProvisionedThroughputExceededException", "InternalServerError"]}]}
 * </pre>
 *
 * A service without rules passes everything through.
 */
public record FaultRules(long seed, Map<Service, List<FaultRule>> services) {
  /** Unknown fields fail (Jackson's default): a misspelt "errorProbabilty" must not silently inject nothing. */
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final String SEED = "seed";
  /** The seed when none is given: any fixed value keeps runs repeatable. */
  public static final long DEFAULT_SEED = 1;

  public FaultRules {
    Map<Service, List<FaultRule>> copy = new EnumMap<>(Service.class);
    Objects.requireNonNull(services, "services").forEach((service, rules) -> {
      List<FaultRule> named = new ArrayList<>();
      for (FaultRule rule : rules) {
        named.add(rule.name() == null || rule.name().isBlank() ? rule.named("rule-" + (named.size() + 1)) : rule);
        FaultDialect.of(service).requireKnown(rule.errors());
      }
      if (!named.isEmpty()) copy.put(service, List.copyOf(named));
    });
    services = Collections.unmodifiableMap(copy);
  }

  /** No rules: every request passes unchanged. */
  public static FaultRules none() {
    return new FaultRules(DEFAULT_SEED, Map.of());
  }

  /** No rules yet, drawing from {@code seed}. */
  public static FaultRules seed(long seed) {
    return new FaultRules(seed, Map.of());
  }

  /**
   * The same weather on every service: {@code latencyMs} added to each request, and a total fault probability of
   * {@code faultProbability}, of which the share {@code resetShare} are connection resets and the rest errors drawn
   * among the service's retryable errors (throttling and 5xx in its dialect; never a permanent one such as S3's
   * AccessDenied). Each service's rule is named {@code name}.
   */
  public static FaultRules uniform(long seed, String name, long latencyMs, double faultProbability, double resetShare) {
    if (!(resetShare >= 0 && resetShare <= 1)) {
      throw new IllegalArgumentException("resetShare must be in [0, 1], not " + resetShare);
    }
    double resets = faultProbability * resetShare;
    // the error draw only happens when the reset draw missed: scale it so that resets + errors = faultProbability
    double errors = resets >= 1 ? 0 : (faultProbability - resets) / (1 - resets);
    FaultRules out = seed(seed);
    for (Service s : Service.values()) {
      out = out.with(s, FaultRule.all(name).withLatency(latencyMs, 0)
          .withErrors(errors, FaultDialect.of(s).retryableCodes().toArray(String[]::new))
          .withResets(resets));
    }
    return out;
  }

  /** These rules plus {@code rules} for {@code service}, after any it has. */
  public FaultRules with(Service service, FaultRule... rules) {
    Map<Service, List<FaultRule>> more = new EnumMap<>(Service.class);
    more.putAll(services);
    List<FaultRule> list = new ArrayList<>(services.getOrDefault(service, List.of()));
    list.addAll(Arrays.asList(rules));
    more.put(service, list);
    return new FaultRules(seed, more);
  }

  /** These rules plus {@code rule} for every service. */
  public FaultRules withEverywhere(FaultRule rule) {
    FaultRules out = this;
    for (Service s : Service.values()) out = out.with(s, rule);
    return out;
  }

  /** The rules of one service, in order; empty when it has none. */
  public List<FaultRule> of(Service service) {
    return services.getOrDefault(service, List.of());
  }

  /** Whether any rule does anything. */
  public boolean active() {
    return services.values().stream().flatMap(List::stream).anyMatch(FaultRule::active);
  }

  /** As JSON, in the format {@link #fromJson(String)} reads. */
  public String toJson() {
    return toTree().toString();
  }

  ObjectNode toTree() {
    ObjectNode out = JSON.createObjectNode().put(SEED, seed);
    services.forEach((service, rules) -> out.set(key(service), JSON.valueToTree(rules)));
    return out;
  }

  /**
   * Reads rules written by {@link #toJson()} or by hand.
   *
   * @throws IllegalArgumentException naming what is wrong: not JSON, an unknown service or field, a probability
   *     outside [0, 1], an error code the service's dialect does not have
   */
  public static FaultRules fromJson(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      if (root == null || !root.isObject()) throw new IllegalArgumentException("fault rules must be a JSON object");
      long seed = DEFAULT_SEED;
      Map<Service, List<FaultRule>> services = new EnumMap<>(Service.class);
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (field.getKey().equals(SEED)) {
          if (!field.getValue().canConvertToLong()) throw new IllegalArgumentException("seed must be an integer");
          seed = field.getValue().asLong();
          continue;
        }
        Service service = service(field.getKey());
        if (!field.getValue().isArray()) {
          throw new IllegalArgumentException(field.getKey() + " must be a list of rules");
        }
        services.put(service, Arrays.asList(JSON.treeToValue(field.getValue(), FaultRule[].class)));
      }
      return new FaultRules(seed, services);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid fault rules: " + e.getOriginalMessage(), e);
    }
  }

  /** The JSON key of a service: its name in lower case. */
  static String key(Service service) {
    return service.name().toLowerCase(Locale.ROOT);
  }

  private static Service service(String key) {
    for (Service s : Service.values()) {
      if (key(s).equals(key)) return s;
    }
    throw new IllegalArgumentException("unknown key \"" + key + "\": expected \"seed\" or one of "
        + Arrays.stream(Service.values()).map(FaultRules::key).toList());
  }
}
