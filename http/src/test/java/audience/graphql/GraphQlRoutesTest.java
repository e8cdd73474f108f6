package audience.graphql;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.config.Settings;
import audience.http.HttpServer;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * /graphql over HTTP against an in-memory backend: tokens (401), roles (403), typed domain errors, every limit with
 * a hostile request (refused with its code, and the next valid request served), DataLoader batching counted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GraphQlRoutesTest {
  private static final int SEGMENTS = 60;
  private static final int BOOKINGS_PER_SEGMENT = 3;
  private static final int PAGE = 50;
  private static final int RATE_LIMIT = 3;
  private static final String VALID = "{ me { subject role } }";
  private static final String ALLOWED_ORIGIN = "http://localhost:3000";
  private ActorSystem<Void> system;
  private FakeBackend backend;
  private GraphQlClient api;
  private GraphQlClient limitedApi;
  private GraphQlClient awsLikeApi;
  private String viewer;
  private String booker;
  private String operator;

  private static Settings settings(Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(extra);
    return Settings.load(m);
  }

  private String serve(ApiBackend b, Settings s) {
    var binding = HttpServer.start(system, new Settings.HttpSettings("127.0.0.1", 0, ""),
        GraphQlRoutes.of(b, s).routes());
    return "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  @BeforeAll
  void start() {
    system = ActorSystem.create(Behaviors.empty(), "graphql-routes-test",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    backend = new FakeBackend(SEGMENTS, BOOKINGS_PER_SEGMENT);
    Settings s = settings(Map.of("audience.api.limits.timeout", "500ms"));
    api = new GraphQlClient(serve(backend, s));
    limitedApi = new GraphQlClient(serve(new FakeBackend(1, 0),
        settings(Map.of("audience.api.limits.rate-limit.requests", RATE_LIMIT))));
    awsLikeApi = new GraphQlClient(serve(new FakeBackend(1, 0),
        settings(Map.of("audience.api.introspection", false))));
    TokenIssuer issuer = new TokenIssuer(s.api().jwt());
    viewer = issuer.mint("vera", Role.VIEWER, Instant.now());
    booker = issuer.mint("bob", Role.BOOKER, Instant.now());
    operator = issuer.mint("olga", Role.OPERATOR, Instant.now());
  }

  @AfterAll
  void stop() {
    if (system != null) system.terminate();
  }

  private void servedAfterwards(GraphQlClient client) {
    GraphQlClient.Reply ok = client.post(viewer, VALID);
    assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
    assertThat(ok.data().path("me").path("subject").asText()).isEqualTo("vera");
  }

  @Test
  void noOrABadTokenIs401AndAValidOneIsServed() {
    GraphQlClient.Reply none = api.post(null, VALID);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.code()).isEqualTo("UNAUTHENTICATED");
    assertThat(none.raw().headers().firstValue("WWW-Authenticate")).contains("Bearer");
    GraphQlClient.Reply bad = api.post(viewer.substring(0, viewer.length() - 2) + "xx", VALID);
    assertThat(bad.status()).isEqualTo(401);
    assertThat(bad.raw().body()).doesNotContain("Exception").doesNotContain("\tat ");
    servedAfterwards(api);
  }

  @Test
  void aViewerMayNotBookNorSteerIngestionAndABookerMayNotSteerIngestion() {
    String book = "mutation { bookSegment(input: {segmentId: \"s-001\", campaign: \"c\", sendDate: \""
        + LocalDate.now().plusDays(3) + "\"}) { booking { id requestedBy } error { code } } }";
    GraphQlClient.Reply refused = api.post(viewer, book);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
    assertThat(refused.code()).isEqualTo("FORBIDDEN");
    assertThat(backend.calls("book")).isZero();
    GraphQlClient.Reply pause = api.post(booker, "mutation { pauseIngestion(id: \"run-1\") { error { code } } }");
    assertThat(pause.status()).isEqualTo(403);
    assertThat(pause.code()).isEqualTo("FORBIDDEN");

    GraphQlClient.Reply booked = api.post(booker, book);
    assertThat(booked.status()).as(booked.toString()).isEqualTo(200);
    assertThat(booked.data().path("bookSegment").path("booking").path("requestedBy").asText()).isEqualTo("bob");
    GraphQlClient.Reply operated = api.post(operator, "mutation { pauseIngestion(id: \"run-1\") { error { code } } }");
    assertThat(operated.data().path("pauseIngestion").path("error").path("code").asText())
        .isEqualTo("ILLEGAL_TRANSITION");
  }

  @Test
  void domainRefusalsAreTypedErrorsWithAStableCode() {
    String q = "mutation($in: BookSegmentInput!) { bookSegment(input: $in) { booking { id } error { code message } } }";
    GraphQlClient.Reply past = api.post(booker, q, Map.of("in", Map.of("segmentId", "s-002", "campaign", "c",
        "sendDate", LocalDate.now().minusDays(1).toString())));
    assertThat(past.data().path("bookSegment").path("error").path("code").asText()).isEqualTo("PAST_SEND_DATE");
    assertThat(past.data().path("bookSegment").path("error").path("message").asText()).contains("in the past");
    GraphQlClient.Reply unknown = api.post(booker, q, Map.of("in", Map.of("segmentId", "s-nope", "campaign", "c",
        "sendDate", LocalDate.now().plusDays(1).toString())));
    assertThat(unknown.data().path("bookSegment").path("error").path("code").asText()).isEqualTo("UNKNOWN_SEGMENT");
    GraphQlClient.Reply cancel = api.post(booker, "mutation { cancelBooking(id: \"b-00000000000000000000\") "
        + "{ error { code } } }");
    assertThat(cancel.data().path("cancelBooking").path("error").path("code").asText()).isEqualTo("NOT_FOUND");
  }

  @Test
  void aPageOfSegmentsWithTheirBookingsMakesABoundedNumberOfReads() {
    String q = "{ segments(first: " + PAGE + ", filter: {minAudience: 1}) { totalCount pageInfo { hasNextPage "
        + "endCursor } edges { node { id bookings(first: 5) { totalCount edges { node { id status "
        + "segment { id } } } } } } } }";
    int before = backend.totalCalls();
    int segmentsBefore = backend.calls("segments");
    int bookingsBefore = backend.calls("bookings");
    GraphQlClient.Reply r = api.post(viewer, q);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.data().path("segments").path("edges")).hasSize(PAGE);
    assertThat(r.data().path("segments").path("edges").path(0).path("node").path("bookings").path("totalCount")
        .asInt()).isEqualTo(BOOKINGS_PER_SEGMENT);
    assertThat(r.data().path("segments").path("pageInfo").path("hasNextPage").asBoolean()).isTrue();
    assertThat(backend.calls("bookings") - bookingsBefore).as("one bookings read for the whole page").isEqualTo(1);
    assertThat(backend.calls("segments") - segmentsBefore).as("the page, then one read for every booking's segment")
        .isEqualTo(2);
    assertThat(backend.totalCalls() - before).isEqualTo(3);

    String after = r.data().path("segments").path("pageInfo").path("endCursor").asText();
    GraphQlClient.Reply next = api.post(viewer, "query($a: String) { segments(first: " + PAGE
        + ", after: $a) { edges { node { id } } pageInfo { hasNextPage } } }", Map.of("a", after));
    assertThat(next.data().path("segments").path("edges")).hasSize(SEGMENTS - PAGE);
    assertThat(next.data().path("segments").path("edges").path(0).path("node").path("id").asText())
        .isEqualTo(String.format("s-%03d", PAGE));
    assertThat(next.data().path("segments").path("pageInfo").path("hasNextPage").asBoolean()).isFalse();
  }

  @Test
  void aDepthBombIsRefusedAsTooDeep() {
    GraphQlClient.Reply r = api.post(viewer, GraphQlClient.depthBomb(4));
    assertThat(r.status()).as(r.toString()).isEqualTo(400);
    assertThat(r.code()).isEqualTo("TOO_DEEP");
    servedAfterwards(api);
  }

  @Test
  void aComplexityBombIsRefusedAsTooComplexBeforeAnyRead() {
    int before = backend.totalCalls();
    GraphQlClient.Reply r = api.post(viewer, GraphQlClient.complexityBomb());
    assertThat(r.status()).as(r.toString()).isEqualTo(400);
    assertThat(r.code()).isEqualTo("TOO_COMPLEX");
    assertThat(backend.totalCalls()).isEqualTo(before);
    servedAfterwards(api);
  }

  @Test
  void thousandsOfAliasesAreRefusedByTheAliasLimitOrTheParsersTokenLimit() {
    GraphQlClient.Reply aliases = api.post(viewer, GraphQlClient.aliases(1_000));
    assertThat(aliases.status()).as(aliases.toString()).isEqualTo(400);
    assertThat(aliases.code()).isEqualTo("TOO_MANY_ALIASES");
    GraphQlClient.Reply tokens = api.post(viewer, GraphQlClient.aliases(2_000));
    assertThat(tokens.status()).as(tokens.toString()).isEqualTo(400);
    assertThat(tokens.code()).isEqualTo("PARSER_LIMIT");
    servedAfterwards(api);
  }

  @Test
  void aHugeBodyIsRefusedWith413() {
    GraphQlClient.Reply r = api.raw(viewer, GraphQlClient.body("{ me { subject } }" + " ".repeat(1 << 20), Map.of()),
        Map.of());
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.code()).isEqualTo("BODY_TOO_LARGE");
    servedAfterwards(api);
  }

  @Test
  void aBatchBeyondItsLimitIsRefusedAndASmallOneAnswersEachOperation() {
    String op = GraphQlClient.body(VALID, Map.of());
    GraphQlClient.Reply big = api.raw(viewer, "[" + String.join(",", java.util.Collections.nCopies(6, op)) + "]",
        Map.of());
    assertThat(big.status()).isEqualTo(400);
    assertThat(big.code()).isEqualTo("BATCH_TOO_LARGE");
    GraphQlClient.Reply two = api.raw(viewer, "[" + op + "," + op + "]", Map.of());
    assertThat(two.status()).isEqualTo(200);
    assertThat(two.body()).hasSize(2);
    assertThat(two.body().path(1).path("data").path("me").path("role").asText()).isEqualTo("VIEWER");
  }

  @Test
  void aSubjectOverItsRateIsRefusedWith429AndAnotherSubjectIsServed() {
    for (int i = 0; i < RATE_LIMIT; i++) assertThat(limitedApi.post(operator, VALID).status()).isEqualTo(200);
    GraphQlClient.Reply r = limitedApi.post(operator, VALID);
    assertThat(r.status()).isEqualTo(429);
    assertThat(r.code()).isEqualTo("RATE_LIMITED");
    assertThat(r.raw().headers().firstValue("Retry-After")).isPresent();
    servedAfterwards(limitedApi);
  }

  @Test
  void aRequestOverItsTimeIsAnsweredTimeoutAndTheNextIsServed() {
    backend.hang = true;
    try {
      GraphQlClient.Reply r = api.post(viewer, "{ manifest { generationId } }");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.code()).isEqualTo("TIMEOUT");
    } finally {
      backend.hang = false;
    }
    servedAfterwards(api);
  }

  @Test
  void aGetMayQueryButNotMutate() {
    GraphQlClient.Reply q = api.get(viewer, VALID);
    assertThat(q.status()).isEqualTo(200);
    assertThat(q.data().path("me").path("subject").asText()).isEqualTo("vera");
    GraphQlClient.Reply m = api.get(operator, "mutation { pauseIngestion(id: \"run-1\") { error { code } } }");
    assertThat(m.status()).isEqualTo(405);
    assertThat(m.code()).isEqualTo("METHOD_NOT_ALLOWED");
  }

  @Test
  void introspectionIsOffWhenConfiguredAndErrorsSuggestNoFieldNames() {
    GraphQlClient.Reply on = api.post(viewer, "{ __schema { queryType { name } } }");
    assertThat(on.data().path("__schema").path("queryType").path("name").asText()).isEqualTo("Query");
    GraphQlClient.Reply off = awsLikeApi.post(viewer, "{ __schema { queryType { name } } }");
    assertThat(off.code()).isEqualTo("INTROSPECTION_DISABLED");
    GraphQlClient.Reply typo = awsLikeApi.post(viewer, "{ segmnts { totalCount } }");
    assertThat(typo.status()).isEqualTo(400);
    assertThat(typo.code()).isEqualTo("VALIDATION_FAILED");
    assertThat(typo.raw().body()).doesNotContainIgnoringCase("did you mean").doesNotContain("segments");
    servedAfterwards(awsLikeApi);
  }

  @Test
  void onlyConfiguredOriginsGetCorsHeaders() {
    GraphQlClient.Reply allowed = api.raw(viewer, GraphQlClient.body(VALID, Map.of()), Map.of("Origin", ALLOWED_ORIGIN));
    assertThat(allowed.status()).isEqualTo(200);
    assertThat(allowed.raw().headers().firstValue("Access-Control-Allow-Origin")).contains(ALLOWED_ORIGIN);
    GraphQlClient.Reply other = api.raw(viewer, GraphQlClient.body(VALID, Map.of()),
        Map.of("Origin", "https://evil.example"));
    assertThat(other.status()).isEqualTo(403);
    assertThat(other.code()).isEqualTo("ORIGIN_NOT_ALLOWED");
    assertThat(other.raw().headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }
}
