package audience.graphql;

import audience.auth.Caller;
import audience.auth.TokenVerifier;
import audience.config.Settings;
import audience.http.JsonSupport;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import graphql.ErrorType;
import graphql.ExecutionResult;
import graphql.GraphQLError;
import graphql.introspection.IntrospectionDisabledError;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /graphql} (one operation, or a batch as a JSON array) and {@code GET /graphql?query=...} (queries
 * only), in this order: CORS (only configured origins), the bearer token (401), the body's size (413), the request's
 * shape and batch size (400), the caller's rate (429), then the operation within the timeout (503). Every refusal is
 * a GraphQL error with {@code extensions.code} and the HTTP status of {@link ErrorCode}; the /ops routes are not
 * touched here. A WebSocket upgrade (subscriptions, graphql-transport-ws) goes to
 * {@link audience.graphql.ws.GraphQlWsRoute} after the CORS check.
 */
public final class GraphQlRoutes extends AllDirectives {
  private static final String PATH = "graphql";
  private static final String ORIGIN = "Origin";
  private static final String AUTHORIZATION = "Authorization";
  private static final String CORS_METHODS = "GET, POST, OPTIONS";
  private static final String CORS_HEADERS = "Authorization, Content-Type";
  private static final String CORS_MAX_AGE_SECONDS = "600";
  private static final String CODE = "code";
  private static final String PARSER_LIMIT_WORDS = "more than";
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final GraphQlApi api;
  private final TokenVerifier verifier;
  private final RateLimiter rates;
  private final Settings.ApiSettings settings;
  private final ObjectMapper json = JsonSupport.mapper();
  /** WebSocket upgrades: subscriptions (graphql-transport-ws), audience.graphql.ws. */
  private final audience.graphql.ws.GraphQlWsRoute socket;

  public GraphQlRoutes(GraphQlApi api, TokenVerifier verifier, Settings.ApiSettings settings, Clock clock) {
    this.api = api;
    this.verifier = verifier;
    this.settings = settings;
    this.rates = new RateLimiter(settings.limits().rateLimitRequests(), settings.limits().rateLimitWindow(), clock);
    this.socket = new audience.graphql.ws.GraphQlWsRoute(api, verifier, settings);
  }

  /** The routes of a node's settings: its profile's verifier, its API settings. */
  public static GraphQlRoutes of(ApiBackend backend, Settings settings) {
    return new GraphQlRoutes(new GraphQlApi(backend, settings.api()), TokenVerifier.of(settings.api().jwt(),
        settings.profile()), settings.api(), Clock.systemUTC());
  }

  /** Like {@link #of(ApiBackend, Settings)}, every operation observed by {@code metrics}. */
  public static GraphQlRoutes of(ApiBackend backend, Settings settings, GraphQlMetrics metrics) {
    return new GraphQlRoutes(new GraphQlApi(backend, settings.api(), metrics), TokenVerifier.of(settings.api().jwt(),
        settings.profile()), settings.api(), Clock.systemUTC());
  }

  public Route routes() {
    return path(PATH, () -> optionalHeaderValueByName(ORIGIN, origin -> {
      if (origin.isPresent() && !settings.corsAllowedOrigins().contains(origin.get())) {
        return complete(error(ErrorCode.ORIGIN_NOT_ALLOWED, "this origin may not call the API"));
      }
      List<HttpHeader> cors = origin.map(o -> List.<HttpHeader>of(RawHeader.create("Access-Control-Allow-Origin", o),
          RawHeader.create("Vary", ORIGIN), RawHeader.create("Access-Control-Allow-Methods", CORS_METHODS),
          RawHeader.create("Access-Control-Allow-Headers", CORS_HEADERS),
          RawHeader.create("Access-Control-Max-Age", CORS_MAX_AGE_SECONDS))).orElse(List.of());
      return respondWithHeaders(cors, () -> concat(
          socket.route(),
          options(() -> complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT))),
          optionalHeaderValueByName(AUTHORIZATION, auth -> authenticated(auth, caller -> concat(
              post(() -> body(caller)),
              get(() -> parameterOptional("query", q -> parameterOptional("operationName", op ->
                  parameterOptional("variables", vars -> query(caller, q, op, vars))))),
              complete(error(ErrorCode.METHOD_NOT_ALLOWED, "use POST, or GET for a query")))))));
    }));
  }

  private Route authenticated(Optional<String> authorization, java.util.function.Function<Caller, Route> inner) {
    TokenVerifier.Result r = verifier.verifyHeader(authorization);
    if (r instanceof TokenVerifier.Rejected rejected) {
      return complete(error(ErrorCode.UNAUTHENTICATED, rejected.reason())
          .addHeader(RawHeader.create("WWW-Authenticate", "Bearer")));
    }
    return inner.apply(((TokenVerifier.Verified) r).caller());
  }

  private Route body(Caller caller) {
    long max = settings.limits().maxBody();
    return extractRequestEntity(entity -> extractMaterializer(mat -> {
      if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > max) {
        return complete(tooLarge(max));
      }
      CompletionStage<String> text = entity.withSizeLimit(max)
          .toStrict(settings.limits().timeout().toMillis(), mat)
          .thenApply(strict -> strict.getData().utf8String());
      return onComplete(text, t -> {
        if (t.isFailure()) {
          Throwable e = DomainErrors.unwrap(t.failed().get());
          return complete(e instanceof EntityStreamSizeException ? tooLarge(max)
              : error(ErrorCode.BAD_REQUEST, "the body could not be read"));
        }
        return operations(caller, t.get());
      });
    }));
  }

  private HttpResponse tooLarge(long max) {
    return error(ErrorCode.BODY_TOO_LARGE, "the body is larger than " + max + " bytes");
  }

  private Route operations(Caller caller, String body) {
    JsonNode node;
    try {
      node = json.readTree(body);
    } catch (Exception e) {
      return complete(error(ErrorCode.BAD_REQUEST, "the body is not JSON: expected {\"query\", \"variables\"?, "
          + "\"operationName\"?} or an array of them"));
    }
    if (node != null && node.isArray()) {
      if (node.size() == 0 || node.size() > settings.limits().maxBatch()) {
        return complete(error(ErrorCode.BATCH_TOO_LARGE, "a batch holds 1 to " + settings.limits().maxBatch()
            + " operations, this one " + node.size()));
      }
      List<GraphQlApi.Request> requests = new ArrayList<>();
      for (JsonNode n : node) {
        Optional<GraphQlApi.Request> r = request(n);
        if (r.isEmpty()) return complete(error(ErrorCode.BAD_REQUEST, "every operation needs a query string"));
        requests.add(r.get());
      }
      return limited(caller, requests.size(), () -> batch(caller, requests));
    }
    Optional<GraphQlApi.Request> r = request(node);
    if (r.isEmpty()) return complete(error(ErrorCode.BAD_REQUEST, "the body needs a query string"));
    return limited(caller, 1, () -> single(caller, r.get(), false));
  }

  private Route query(Caller caller, Optional<String> query, Optional<String> op, Optional<String> variables) {
    if (query.isEmpty()) return complete(error(ErrorCode.BAD_REQUEST, "a GET needs ?query="));
    Map<String, Object> vars;
    try {
      vars = variables.isEmpty() ? Map.of() : json.readValue(variables.get(), MAP);
    } catch (Exception e) {
      return complete(error(ErrorCode.BAD_REQUEST, "variables must be a JSON object"));
    }
    if (query.get().length() > settings.limits().maxBody()) return complete(tooLarge(settings.limits().maxBody()));
    GraphQlApi.Request request = new GraphQlApi.Request(query.get(), op.orElse(null), vars);
    return limited(caller, 1, () -> single(caller, request, true));
  }

  private Optional<GraphQlApi.Request> request(JsonNode n) {
    if (n == null || !n.isObject() || !n.path("query").isTextual()) return Optional.empty();
    JsonNode v = n.get("variables");
    Map<String, Object> vars = v == null || v.isNull() || !v.isObject() ? Map.of() : json.convertValue(v, MAP);
    JsonNode op = n.get("operationName");
    return Optional.of(new GraphQlApi.Request(n.get("query").asText(), op != null && op.isTextual() ? op.asText()
        : null, vars));
  }

  private Route limited(Caller caller, int operations, java.util.function.Supplier<Route> inner) {
    if (rates.acquire(caller.subject(), operations) instanceof RateLimiter.Refused refused) {
      return complete(error(ErrorCode.RATE_LIMITED, "too many requests; try again in " + refused.retryAfterSeconds()
          + " s").addHeader(RawHeader.create("Retry-After", Long.toString(refused.retryAfterSeconds()))));
    }
    return inner.get();
  }

  private Route single(Caller caller, GraphQlApi.Request request, boolean viaGet) {
    return onComplete(timed(api.execute(request, caller, viaGet)), t -> {
      if (t.isFailure()) return complete(failed(t.failed().get()));
      if (t.get() instanceof SharedResult shared) { // a kept answer: rendered once for all its requests
        return complete(HttpResponse.create().withStatus(StatusCodes.get(status(shared)))
            .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, shared.json(r -> bytes(specification(r))))));
      }
      Map<String, Object> spec = specification(t.get());
      return complete(JsonSupport.response(json, StatusCodes.get(status(t.get())), spec));
    });
  }

  private Route batch(Caller caller, List<GraphQlApi.Request> requests) {
    List<CompletableFuture<ExecutionResult>> all = requests.stream().map(r -> api.execute(r, caller, false)).toList();
    return onComplete(timed(CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))), t -> {
      if (t.isFailure()) return complete(failed(t.failed().get()));
      return complete(JsonSupport.response(json, StatusCodes.OK, all.stream().map(f -> specification(f.join()))
          .toList()));
    });
  }

  private <T> CompletableFuture<T> timed(CompletableFuture<T> f) {
    return f.orTimeout(settings.limits().timeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  private HttpResponse failed(Throwable failure) {
    Throwable e = DomainErrors.unwrap(failure);
    if (e instanceof TimeoutException) {
      return error(ErrorCode.TIMEOUT, "the request took longer than " + settings.limits().timeout().toMillis()
          + " ms and was abandoned");
    }
    return error(ErrorCode.INTERNAL, "internal error");
  }

  /**
   * The HTTP status of one operation's result: an operation that did not run (a limit, a parse or validation error)
   * answers its error's status; one whose every top-level field was refused for the caller's role answers 403.
   */
  static int status(ExecutionResult r) {
    List<GraphQLError> errors = r.getErrors();
    if (errors.isEmpty()) return StatusCodes.OK.intValue();
    if (!r.isDataPresent()) return codeOf(errors.get(0)).httpStatus();
    Object data = r.getData();
    boolean nothing = data == null
        || data instanceof Map<?, ?> m && m.values().stream().allMatch(java.util.Objects::isNull);
    if (nothing) {
      for (GraphQLError e : errors) {
        ErrorCode c = codeOf(e);
        if (c == ErrorCode.FORBIDDEN || c == ErrorCode.UNAUTHENTICATED) return c.httpStatus();
      }
    }
    return StatusCodes.OK.intValue();
  }

  /** An error's code: its own, or one for graphql-java's errors (syntax, parser limits, validation, introspection). */
  static ErrorCode codeOf(GraphQLError e) {
    Object own = e.getExtensions() == null ? null : e.getExtensions().get(CODE);
    if (own instanceof String s) {
      try {
        return ErrorCode.valueOf(s);
      } catch (IllegalArgumentException unknown) {
        return ErrorCode.INTERNAL;
      }
    }
    if (e instanceof IntrospectionDisabledError) return ErrorCode.INTROSPECTION_DISABLED;
    if (e.getErrorType() == ErrorType.InvalidSyntax) {
      return e.getMessage() != null
          && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains(PARSER_LIMIT_WORDS) ? ErrorCode.PARSER_LIMIT
          : ErrorCode.PARSE_ERROR;
    }
    if (e.getErrorType() == ErrorType.ValidationError) return ErrorCode.VALIDATION_FAILED;
    return ErrorCode.INTERNAL;
  }

  /** The result as the GraphQL spec shapes it, every error with its code. */
  public static Map<String, Object> specification(ExecutionResult r) {
    Map<String, Object> spec = new LinkedHashMap<>(r.toSpecification());
    if (!r.getErrors().isEmpty()) {
      List<Map<String, Object>> errors = new ArrayList<>();
      for (GraphQLError e : r.getErrors()) {
        Map<String, Object> m = new LinkedHashMap<>(e.toSpecification());
        Map<String, Object> ext = new LinkedHashMap<>();
        if (m.get("extensions") instanceof Map<?, ?> old) old.forEach((k, v) -> ext.put(k.toString(), v));
        ext.put(CODE, codeOf(e).name());
        ext.remove("classification");
        m.put("extensions", ext);
        errors.add(m);
      }
      spec.put("errors", errors);
    }
    return spec;
  }

  private HttpResponse error(ErrorCode code, String message) {
    Map<String, Object> body = Map.of("errors", List.of(Map.of("message", message,
        "extensions", Map.of(CODE, code.name()))));
    return HttpResponse.create().withStatus(StatusCodes.get(code.httpStatus()))
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, bytes(body)));
  }

  private byte[] bytes(Object body) {
    try {
      return json.writeValueAsBytes(body);
    } catch (Exception e) {
      throw new IllegalStateException("cannot serialise an answer", e);
    }
  }
}
