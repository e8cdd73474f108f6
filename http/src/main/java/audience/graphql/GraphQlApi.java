package audience.graphql;

import audience.auth.Caller;
import audience.auth.Role;
import audience.config.Settings;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.analysis.FieldComplexityCalculator;
import graphql.analysis.MaxQueryComplexityInstrumentation;
import graphql.analysis.MaxQueryDepthInstrumentation;
import graphql.execution.AbortExecutionException;
import graphql.execution.DataFetcherExceptionHandler;
import graphql.execution.DataFetcherExceptionHandlerResult;
import graphql.execution.instrumentation.ChainedInstrumentation;
import graphql.execution.instrumentation.Instrumentation;
import graphql.execution.instrumentation.InstrumentationContext;
import graphql.execution.instrumentation.InstrumentationState;
import graphql.execution.instrumentation.SimplePerformantInstrumentation;
import graphql.execution.instrumentation.parameters.InstrumentationExecuteOperationParameters;
import graphql.execution.instrumentation.parameters.InstrumentationFieldFetchParameters;
import graphql.execution.instrumentation.parameters.InstrumentationValidationParameters;
import graphql.introspection.Introspection;
import graphql.language.Argument;
import graphql.language.Directive;
import graphql.language.Document;
import graphql.language.EnumValue;
import graphql.language.Field;
import graphql.language.Node;
import graphql.language.OperationDefinition;
import graphql.parser.ParserOptions;
import graphql.schema.DataFetcher;
import graphql.schema.GraphQLFieldDefinition;
import graphql.schema.GraphQLFieldsContainer;
import graphql.schema.GraphQLNamedType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLTypeUtil;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import graphql.validation.ValidationError;
import org.dataloader.DataLoaderRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The GraphQL engine of the API: the schema ({@code graphql/schema.graphqls}) wired to {@link Fetchers}, with the
 * limits every request is held to (depth, complexity, aliases, parser tokens and rule depth, introspection),
 * authorisation of every field by its {@code @auth} role, and a fresh set of data loaders per request.
 */
public final class GraphQlApi {
  public static final String SCHEMA = "graphql/schema.graphqls";
  /** The GraphQL context key saying the request came as a GET (queries only). */
  static final String VIA_GET = "audience.viaGet";
  /** The GraphQL context key of the materializer a subscription polls with; present only over a WebSocket. */
  static final String SOCKET_MATERIALIZER = "audience.socketMaterializer";
  private static final Logger log = LoggerFactory.getLogger(GraphQlApi.class);
  private static final String AUTH = "auth";
  private static final String ROLE_ARG = "role";
  private static final String CONNECTION_SUFFIX = "Connection";
  private static final String FIRST = "first";

  private final GraphQL graphQl;
  private final Fetchers fetchers;
  private final Settings.ApiSettings settings;
  private final ParserOptions parserOptions;
  private final ResultCache results;

  /** One operation of a request. */
  public record Request(String query, String operationName, Map<String, Object> variables) {
    public Request {
      variables = variables == null ? Map.of() : variables;
    }
  }

  public GraphQlApi(ApiBackend backend, Settings.ApiSettings settings) {
    this(backend, settings, SimplePerformantInstrumentation.INSTANCE);
  }

  /** {@code observer}: an instrumentation that runs first, around everything (the node's GraphQlMetrics). */
  public GraphQlApi(ApiBackend backend, Settings.ApiSettings settings, Instrumentation observer) {
    this.settings = settings;
    Settings.ApiLimits limits = settings.limits();
    this.fetchers = new Fetchers(backend, limits.maxPageSize(), settings.subscriptions().pollInterval());
    GraphQLSchema schema = schema(fetchers);
    Map<String, Role> roles = fieldRoles(schema);
    this.parserOptions = ParserOptions.getDefaultOperationParserOptions().transform(b -> b
        .maxTokens(limits.maxTokens()).maxRuleDepth(limits.maxRuleDepth())
        .maxCharacters((int) Math.min(limits.maxBody(), Integer.MAX_VALUE)));
    this.results = new ResultCache(settings.readCacheTtl(), settings.readCacheMaxEntries(), java.time.Clock.systemUTC(),
        parserOptions);
    this.graphQl = GraphQL.newGraphQL(schema)
        .instrumentation(new ChainedInstrumentation(List.of(observer, new Guard(roles, limits.maxAliases()),
            new DepthLimit(limits.maxDepth()), new ComplexityLimit(limits.maxComplexity(), limits.maxPageSize()))))
        .defaultDataFetcherExceptionHandler(errors())
        .build();
  }

  /** Runs one operation for {@code caller}; {@code viaGet}: a GET, which may only query. */
  public CompletableFuture<ExecutionResult> execute(Request request, Caller caller, boolean viaGet) {
    return execute(request, caller, viaGet, null);
  }

  /**
   * Runs one operation that came over a WebSocket: a subscription's result holds a {@code Publisher} of results as
   * its data, its polls run on {@code materializer}.
   */
  public CompletableFuture<ExecutionResult> executeOverSocket(Request request, Caller caller,
                                                              org.apache.pekko.stream.Materializer materializer) {
    return execute(request, caller, false, java.util.Objects.requireNonNull(materializer, "materializer"));
  }

  private CompletableFuture<ExecutionResult> execute(Request request, Caller caller, boolean viaGet,
                                                     org.apache.pekko.stream.Materializer materializer) {
    DataLoaderRegistry loaders = fetchers.loaders();
    Map<Object, Object> context = new HashMap<>();
    context.put(Caller.class, caller);
    context.put(ParserOptions.class, parserOptions);
    context.put(VIA_GET, viaGet);
    if (materializer != null) context.put(SOCKET_MATERIALIZER, materializer);
    if (!settings.introspection()) context.put(Introspection.INTROSPECTION_DISABLED, true);
    ExecutionInput input = ExecutionInput.newExecutionInput().query(request.query())
        .operationName(request.operationName()).variables(request.variables()).graphQLContext(context)
        .dataLoaderRegistry(loaders).build();
    if (materializer != null || caller == null) return graphQl.executeAsync(input);
    // the same segment pages for every browser: one execution per document, variables and role per TTL
    return results.get(request, caller.role(), () -> graphQl.executeAsync(input)).toCompletableFuture();
  }

  static GraphQLSchema schema(Fetchers fetchers) {
    try (Reader sdl = new InputStreamReader(GraphQlApi.class.getClassLoader().getResourceAsStream(SCHEMA),
        StandardCharsets.UTF_8)) {
      RuntimeWiring wiring = fetchers.wiring(RuntimeWiring.newRuntimeWiring()).build();
      return new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(sdl), wiring);
    } catch (java.io.IOException e) {
      throw new UncheckedIOException("cannot read " + SCHEMA, e);
    }
  }

  /** "Type.field" to the role its {@code @auth} names; fields without one need {@link Role#VIEWER}. */
  static Map<String, Role> fieldRoles(GraphQLSchema schema) {
    Map<String, Role> roles = new HashMap<>();
    for (GraphQLNamedType type : schema.getAllTypesAsList()) {
      if (!(type instanceof GraphQLFieldsContainer container)) continue;
      for (GraphQLFieldDefinition field : container.getFieldDefinitions()) {
        if (field.getDefinition() == null) continue;
        for (Directive d : field.getDefinition().getDirectives(AUTH)) {
          Argument arg = d.getArgument(ROLE_ARG);
          if (arg != null && arg.getValue() instanceof EnumValue v) {
            roles.put(type.getName() + "." + field.getName(), Role.valueOf(v.getName()));
          }
        }
      }
    }
    return Map.copyOf(roles);
  }

  static GraphQLError coded(ErrorCode code, String message) {
    return GraphqlErrorBuilder.newError().message(message).extensions(Map.of("code", code.name())).build();
  }

  /** A data fetcher's failure as an error with its code; a failure that is no refusal is INTERNAL, detail logged. */
  private static DataFetcherExceptionHandler errors() {
    return params -> {
      Throwable e = DomainErrors.unwrap(params.getException());
      GraphqlErrorBuilder<?> b = GraphqlErrorBuilder.newError().path(params.getPath())
          .location(params.getSourceLocation());
      if (e instanceof ApiException a) {
        b.message(a.getMessage()).extensions(Map.of("code", a.code().name()));
      } else {
        var refusal = DomainErrors.of(e);
        if (refusal.isPresent()) {
          ErrorCode code = switch (refusal.get().code()) {
            case "NOT_FOUND" -> ErrorCode.NOT_FOUND;
            case "INVALID_ARGUMENT" -> ErrorCode.INVALID_ARGUMENT;
            case "UNAVAILABLE" -> ErrorCode.UNAVAILABLE;
            default -> ErrorCode.BAD_REQUEST;
          };
          b.message(refusal.get().message()).extensions(Map.of("code", code.name()));
        } else {
          log.warn("GraphQL field {} failed: {}", params.getPath(), e.toString());
          b.message("internal error").extensions(Map.of("code", ErrorCode.INTERNAL.name()));
        }
      }
      return CompletableFuture.completedFuture(DataFetcherExceptionHandlerResult.newResult(b.build()).build());
    };
  }

  /**
   * Authorises every field (its {@code @auth} role against the caller's, on every fetch, nested ones included),
   * limits the aliases of a document, and refuses a mutation sent as a GET.
   */
  static final class Guard extends SimplePerformantInstrumentation {
    private final Map<String, Role> roles;
    private final int maxAliases;

    Guard(Map<String, Role> roles, int maxAliases) {
      this.roles = roles;
      this.maxAliases = maxAliases;
    }

    @Override
    public DataFetcher<?> instrumentDataFetcher(DataFetcher<?> fetcher, InstrumentationFieldFetchParameters params,
                                                InstrumentationState state) {
      var env = params.getEnvironment();
      Caller caller = env.getGraphQlContext().get(Caller.class);
      String parent = env.getParentType() instanceof GraphQLNamedType n ? n.getName() : "";
      Role needed = roles.getOrDefault(parent + "." + env.getFieldDefinition().getName(), Role.VIEWER);
      if (caller == null) {
        return e -> {
          throw new ApiException(ErrorCode.UNAUTHENTICATED, "no verified caller");
        };
      }
      if (!caller.role().allows(needed)) {
        return e -> {
          throw new ApiException(ErrorCode.FORBIDDEN, parent + "." + env.getFieldDefinition().getName()
              + " needs the " + needed.claim() + " role; the token has " + caller.role().claim());
        };
      }
      return fetcher;
    }

    @Override
    public InstrumentationContext<List<ValidationError>> beginValidation(InstrumentationValidationParameters params,
                                                                          InstrumentationState state) {
      int aliases = aliases(params.getDocument());
      if (aliases > maxAliases) {
        throw new AbortExecutionException(List.of(coded(ErrorCode.TOO_MANY_ALIASES, "the document has " + aliases
            + " aliased fields; at most " + maxAliases + " are allowed")));
      }
      return super.beginValidation(params, state);
    }

    @Override
    public InstrumentationContext<ExecutionResult> beginExecuteOperation(
        InstrumentationExecuteOperationParameters params, InstrumentationState state) {
      var ctx = params.getExecutionContext();
      if (Boolean.TRUE.equals(ctx.getGraphQLContext().get(VIA_GET))
          && ctx.getOperationDefinition().getOperation() != OperationDefinition.Operation.QUERY) {
        throw new AbortExecutionException(List.of(coded(ErrorCode.METHOD_NOT_ALLOWED,
            "a GET may only query; send mutations as a POST")));
      }
      if (ctx.getOperationDefinition().getOperation() == OperationDefinition.Operation.SUBSCRIPTION
          && !ctx.getGraphQLContext().hasKey(SOCKET_MATERIALIZER)) {
        throw new AbortExecutionException(List.of(coded(ErrorCode.BAD_REQUEST, "subscriptions are served over a "
            + "WebSocket at /graphql with the graphql-transport-ws subprotocol")));
      }
      return super.beginExecuteOperation(params, state);
    }

    /** Aliased fields anywhere in the document (operations and fragments), without recursion. */
    static int aliases(Document document) {
      int n = 0;
      Deque<Node<?>> todo = new ArrayDeque<>(List.of(document));
      while (!todo.isEmpty()) {
        Node<?> node = todo.pop();
        if (node instanceof Field f && f.getAlias() != null) n++;
        for (Node<?> child : node.getChildren()) todo.push(child);
      }
      return n;
    }
  }

  /** {@link MaxQueryDepthInstrumentation} answering TOO_DEEP. */
  static final class DepthLimit extends MaxQueryDepthInstrumentation {
    DepthLimit(int max) {
      super(max);
    }

    @Override
    protected AbortExecutionException mkAbortException(int depth, int maxDepth) {
      return new AbortExecutionException(List.of(coded(ErrorCode.TOO_DEEP, "the query is " + depth
          + " levels deep; at most " + maxDepth + " are allowed")));
    }
  }

  /**
   * {@link MaxQueryComplexityInstrumentation} answering TOO_COMPLEX. A field costs 1 plus its children; a connection's
   * children count once per item it may return ({@code first}, else the largest page).
   */
  static final class ComplexityLimit extends MaxQueryComplexityInstrumentation {
    ComplexityLimit(int max, int maxPage) {
      super(max, calculator(maxPage));
    }

    static FieldComplexityCalculator calculator(int maxPage) {
      return (env, children) -> {
        String type = GraphQLTypeUtil.unwrapAll(env.getFieldDefinition().getType()).getName();
        if (!type.endsWith(CONNECTION_SUFFIX)) return 1 + children;
        Object first = env.getArguments().get(FIRST);
        long items = first instanceof Integer i ? Math.max(i, 0) : maxPage;
        return (int) Math.min(Integer.MAX_VALUE, 1 + items * children);
      };
    }

    @Override
    protected AbortExecutionException mkAbortException(int complexity, int max) {
      return new AbortExecutionException(List.of(coded(ErrorCode.TOO_COMPLEX, "the query's complexity is "
          + complexity + "; at most " + max + " is allowed (ask smaller pages with first)")));
    }
  }
}
