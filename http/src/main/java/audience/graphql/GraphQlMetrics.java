package audience.graphql;

import graphql.ExecutionResult;
import graphql.GraphQLError;
import graphql.execution.instrumentation.InstrumentationContext;
import graphql.execution.instrumentation.InstrumentationState;
import graphql.execution.instrumentation.SimpleInstrumentationContext;
import graphql.execution.instrumentation.SimplePerformantInstrumentation;
import graphql.execution.instrumentation.parameters.InstrumentationExecutionParameters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Times every GraphQL operation that reaches the engine ({@value #REQUESTS}, Prometheus
 * {@code audience_graphql_requests_seconds}, tagged by operation name and outcome) and counts its errors by code
 * ({@value #ERRORS}, tagged by operation name and {@link ErrorCode}). The operation name is the client's choice:
 * it is cut to {@value #MAX_NAME} letters, digits or underscores, and only the first {@code maxOperations} distinct
 * names are tags of their own, later ones are {@value #OTHER}. Requests refused before the engine (no token, too
 * large, rate limited) are in the HTTP meters of the /graphql route.
 */
public final class GraphQlMetrics extends SimplePerformantInstrumentation {
  public static final String REQUESTS = "audience.graphql.requests";
  public static final String ERRORS = "audience.graphql.errors";
  static final String OPERATION = "operation";
  static final String OUTCOME = "outcome";
  static final String CODE = "code";
  static final String ANONYMOUS = "anonymous";
  static final String OTHER = "other";
  static final int MAX_NAME = 64;

  private final MeterRegistry registry;
  private final int maxOperations;
  private final Set<String> operations = ConcurrentHashMap.newKeySet();

  public GraphQlMetrics(MeterRegistry registry, int maxOperations) {
    this.registry = registry;
    this.maxOperations = maxOperations;
  }

  @Override
  public InstrumentationContext<ExecutionResult> beginExecution(InstrumentationExecutionParameters params,
                                                                InstrumentationState state) {
    long start = System.nanoTime();
    String operation = operation(params.getOperation());
    return SimpleInstrumentationContext.whenCompleted((result, error) -> {
      boolean ok = error == null && result != null && result.getErrors().isEmpty();
      Timer.builder(REQUESTS).description("GraphQL operations by operation name and outcome (ok, error)")
          .tag(OPERATION, operation).tag(OUTCOME, ok ? "ok" : "error").publishPercentileHistogram()
          .register(registry).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      if (error != null) errors(operation, ErrorCode.INTERNAL).increment();
      if (result != null) {
        for (GraphQLError e : result.getErrors()) errors(operation, GraphQlRoutes.codeOf(e)).increment();
      }
    });
  }

  private Counter errors(String operation, ErrorCode code) {
    return Counter.builder(ERRORS).description("GraphQL errors by operation name and error code")
        .tag(OPERATION, operation).tag(CODE, code.name()).register(registry);
  }

  /** The tag of a request's operation name: bounded in length, alphabet and number of distinct values. */
  String operation(String requested) {
    String name = sanitised(requested);
    if (name.equals(ANONYMOUS) || operations.contains(name)) return name;
    synchronized (operations) {
      if (operations.size() >= maxOperations) return OTHER;
      operations.add(name);
      return name;
    }
  }

  static String sanitised(String requested) {
    if (requested == null || requested.isBlank()) return ANONYMOUS;
    String kept = requested.replaceAll("[^A-Za-z0-9_]", "");
    if (kept.isEmpty()) return ANONYMOUS;
    return kept.length() > MAX_NAME ? kept.substring(0, MAX_NAME) : kept;
  }
}
