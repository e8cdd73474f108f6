package audience.graphql;

import audience.auth.Role;
import graphql.ExecutionResult;
import graphql.ExecutionResultImpl;
import graphql.GraphqlErrorBuilder;
import graphql.parser.ParserOptions;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Only queries of generation data are answered again from one execution; anything live is executed every time. */
class ResultCacheTest {
  private final ResultCache cache = new ResultCache(Duration.ofMinutes(1), 100, Clock.systemUTC(),
      ParserOptions.getDefaultOperationParserOptions());
  private final AtomicInteger executions = new AtomicInteger();

  private ExecutionResult answer(String request) {
    executions.incrementAndGet();
    return ExecutionResultImpl.newExecutionResult().data(Map.of("n", executions.get(), "q", request)).build();
  }

  private Object ask(String query, Map<String, Object> variables, Role role) {
    return cache.get(new GraphQlApi.Request(query, null, variables), role,
        () -> CompletableFuture.completedFuture(answer(query))).toCompletableFuture().join().getData();
  }

  @Test
  void aSegmentPageIsExecutedOncePerVariablesAndRole() {
    String page = "query($after: String) { segments(first: 50, after: $after) { edges { node { id audience } } } }";
    Object first = ask(page, Map.of("after", "a"), Role.VIEWER);
    assertThat(ask(page, Map.of("after", "a"), Role.VIEWER)).isEqualTo(first);
    assertThat(ask(page, Map.of("after", "b"), Role.VIEWER)).isNotEqualTo(first);
    assertThat(ask(page, Map.of("after", "a"), Role.BOOKER)).isNotEqualTo(first);
    assertThat(executions).hasValue(3);
  }

  @Test
  void documentsThatReadBookingsRunsOrTheCallerOrMutateAreNeverKept() {
    for (String live : new String[] {
        "{ segments(first: 5) { edges { node { id bookings { id status } } } } }",
        "{ segment(id: \"s\") { id ...B } } fragment B on Segment { bookings { id } }",
        "{ segments { totalCount } me { subject } }",
        "{ runs { edges { node { id } } } }",
        "mutation { cancelBooking(id: \"b\") { booking { id } } }",
        "{ segments { totalCount } ",
        "{ __schema { types { name } } }"}) {
      assertThat(cache.qualifies(live, "")).as(live).isFalse();
    }
    assertThat(cache.qualifies("{ manifest { generationId } segment(id: \"s\") { id audience } }", "")).isTrue();
    assertThat(cache.qualifies("query A { segments { totalCount } } mutation B { cancelBooking(id: \"b\") { booking { id } } }",
        "B")).isFalse();
    assertThat(cache.qualifies("query A { segments { totalCount } } mutation B { cancelBooking(id: \"b\") { booking { id } } }",
        "A")).isTrue();
  }

  @Test
  void aKeptAnswerIsRenderedOnceForAllItsRequests() {
    String page = "{ segments(first: 50) { totalCount } }";
    AtomicInteger renders = new AtomicInteger();
    for (int i = 0; i < 3; i++) {
      ExecutionResult r = cache.get(new GraphQlApi.Request(page, null, Map.of()), Role.VIEWER,
          () -> CompletableFuture.completedFuture(answer(page))).toCompletableFuture().join();
      assertThat(r).isInstanceOf(SharedResult.class);
      byte[] json = ((SharedResult) r).json(x -> {
        renders.incrementAndGet();
        return x.getData().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      });
      assertThat(new String(json, java.nio.charset.StandardCharsets.UTF_8)).contains("n=1");
    }
    assertThat(renders).hasValue(1);
    assertThat(executions).hasValue(1);
  }

  @Test
  void anAnswerWithErrorsIsNotKept() {
    String page = "{ segments { totalCount } }";
    for (int i = 0; i < 2; i++) {
      cache.get(new GraphQlApi.Request(page, null, null), Role.VIEWER, () -> {
        executions.incrementAndGet();
        return CompletableFuture.completedFuture(ExecutionResultImpl.newExecutionResult()
            .addError(GraphqlErrorBuilder.newError().message("read model unavailable").build()).build());
      }).toCompletableFuture().join();
    }
    assertThat(executions).hasValue(2);
  }
}
