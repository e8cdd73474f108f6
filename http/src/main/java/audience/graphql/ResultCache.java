package audience.graphql;

import audience.store.ReadCache;
import audience.auth.Role;
import graphql.ExecutionResult;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.Node;
import graphql.language.OperationDefinition;
import graphql.language.SelectionSet;
import graphql.parser.InvalidSyntaxException;
import graphql.parser.Parser;
import graphql.parser.ParserEnvironment;
import graphql.parser.ParserOptions;

import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Whole answers of the queries every browser asks alike: a query whose root fields read only a generation's
 * segments and the manifest ({@link #CACHEABLE_ROOTS}), with no field that reads bookings or runs anywhere in it, is
 * answered from the same execution for the same document, operation, variables and role within the read-cache TTL
 * ({@code audience.api.read-cache-ttl}, the staleness its segment reads already have). Answers with errors are not
 * kept. Which documents qualify is decided once per document text (a bounded memo).
 */
final class ResultCache {
  static final Set<String> CACHEABLE_ROOTS = Set.of("manifest", "segments", "segment");
  /** Fields whose data changes with every booking or run: a document that selects one is executed every time. */
  static final Set<String> LIVE_FIELDS = Set.of("bookings", "booking", "history", "runs", "run", "me", "progress",
      "quarantine");
  private static final int MAX_DOCUMENTS = 256;

  private record Key(String query, String operationName, Map<String, Object> variables, Role role) {}

  private final ReadCache<Key, ExecutionResult> results;
  private final ParserOptions parserOptions;
  private final Map<String, Boolean> cacheable = Collections.synchronizedMap(
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > MAX_DOCUMENTS;
        }
      });

  ResultCache(Duration ttl, int maxEntries, Clock clock, ParserOptions parserOptions) {
    this.results = new ReadCache<>(ttl, clock, maxEntries);
    this.parserOptions = parserOptions;
  }

  /** The answer of {@code request} for {@code role}: kept, shared, or {@code execute}d. */
  CompletionStage<ExecutionResult> get(GraphQlApi.Request request, Role role,
                                       Supplier<CompletionStage<ExecutionResult>> execute) {
    String operation = Objects.requireNonNullElse(request.operationName(), "");
    if (!cacheable.computeIfAbsent(request.query() + '\u0000' + operation, k -> qualifies(request.query(), operation))) {
      return execute.get();
    }
    Map<String, Object> variables = request.variables() == null ? Map.of() : request.variables();
    return results.get(new Key(request.query(), operation, variables, role),
        () -> execute.get().thenApply(SharedResult::new), r -> r.getErrors().isEmpty());
  }

  /** Whether the named (or only) operation of {@code query} is a query that reads only generation data. */
  boolean qualifies(String query, String operationName) {
    Document document;
    try {
      document = new Parser().parseDocument(ParserEnvironment.newParserEnvironment().document(query)
          .parserOptions(parserOptions).build());
    } catch (InvalidSyntaxException e) { // parser limits too
      return false; // executed, to answer the error
    }
    List<OperationDefinition> operations = document.getDefinitionsOfType(OperationDefinition.class);
    OperationDefinition op = operations.stream()
        .filter(o -> operationName.isEmpty() ? operations.size() == 1 : operationName.equals(o.getName()))
        .findFirst().orElse(null);
    if (op == null || op.getOperation() != OperationDefinition.Operation.QUERY) return false;
    boolean rootsOk = op.getSelectionSet().getSelections().stream()
        .allMatch(s -> s instanceof Field f && CACHEABLE_ROOTS.contains(f.getName()));
    return rootsOk && !selectsLiveField(op)
        && document.getDefinitionsOfType(FragmentDefinition.class).stream().noneMatch(ResultCache::selectsLiveField);
  }

  private static boolean selectsLiveField(Node<?> node) {
    if (node instanceof Field f && LIVE_FIELDS.contains(f.getName())) return true;
    if (node instanceof OperationDefinition || node instanceof FragmentDefinition || node instanceof SelectionSet
        || node instanceof Field || node instanceof graphql.language.InlineFragment) {
      for (Node<?> child : node.getChildren()) {
        if (selectsLiveField(child)) return true;
      }
    }
    return false;
  }
}
