package audience.http;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.devstack.DevStack;
import audience.service.Service;
import audience.testkit.Http;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's token on /ops over the service's own HTTP (Service.start: every routes class behind
 * {@link OperatorAuth}) against the emulators: a sample route of each routes class refuses no token, an expired one
 * and a foreign signature with 401, a viewer and a booker with 403, and answers an operator; health stays open.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpsAuthIT {
  /** One route of each routes class, as an operator may call it: method, path, expected status. */
  private record Call(String method, String path, int okStatus) {}

  private static final List<Call> SAMPLE = List.of(
      new Call("GET", "/ops/ingestions", 200),                 // OpsRoutes
      new Call("GET", "/ops/jvm", 200),                        // OpsRoutes
      new Call("DELETE", "/ops/members/m-authprobe1", 200),    // MembersRoutes
      new Call("GET", "/ops/segments/generations", 200),       // SegmentsRoutes
      new Call("GET", "/ops/bookings", 200));                  // BookingsRoutes

  private Service service;
  private Http operator;
  private TokenIssuer issuer;

  @BeforeAll
  void start() {
    service = Service.start(TestNodes.settings(DevStack.shared(), Map.of("audience.http.port", 0)));
    operator = OpsTestClients.operator(service.url(), service.node().settings());
    issuer = new TokenIssuer(service.node().settings().api().jwt());
  }

  @AfterAll
  void stop() {
    if (service != null) service.close();
  }

  private static Http.Reply call(Http client, Call c) {
    return switch (c.method()) {
      case "GET" -> client.get(c.path());
      case "DELETE" -> client.delete(c.path());
      default -> throw new IllegalArgumentException(c.method());
    };
  }

  private static void assertRefused(Http.Reply r, int status, String says) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/json");
    assertThat(r.body().path("status").asInt()).isEqualTo(status);
    assertThat(r.body().path("error").asText()).contains(says);
    if (status == 401) assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer");
  }

  @Test
  void everySampledRouteRefusesAMissingExpiredOrForeignTokenWith401ThenServesAnOperator() {
    String expired = issuer.mint("olga", Role.OPERATOR.claim(), Instant.now().minus(Duration.ofHours(2)),
        Duration.ofHours(1));
    var foreignJwt = service.node().settings().api().jwt();
    String foreign = new TokenIssuer(new audience.config.Settings.JwtSettings(
        "a-key-that-is-not-the-service-one-0123456789", "", foreignJwt.issuer(), foreignJwt.audience(),
        foreignJwt.tokenTtl(), foreignJwt.maxClockSkew())).mint("mallory", Role.OPERATOR, Instant.now());
    for (Call c : SAMPLE) {
      assertRefused(call(operator.withoutToken(), c), 401, "no bearer token");
      assertRefused(call(operator.withToken(expired), c), 401, "xpired");
      assertRefused(call(operator.withToken(foreign), c), 401, "invalid");
      assertRefused(call(operator.withAuthorization("Bearer garbage"), c), 401, "not a JWT");
      Http.Reply ok = call(operator, c);
      assertThat(ok.status()).as("%s %s: %s", c.method(), c.path(), ok).isEqualTo(c.okStatus());
    }
  }

  @Test
  void aViewerAndABookerAreRefused403OnEverySampledRoute() {
    for (Role lower : List.of(Role.VIEWER, Role.BOOKER)) {
      Http client = operator.withToken(issuer.mint("someone", lower, Instant.now()));
      for (Call c : SAMPLE) assertRefused(call(client, c), 403, "operator");
    }
    // a refused POST changed nothing: no run was started by a booker
    Http.Reply refused = operator.withToken(issuer.mint("bob", Role.BOOKER, Instant.now()))
        .post("/ops/ingestions", "{\"bucket\":\"" + service.node().settings().resources().rawBucket()
            + "\",\"prefix\":\"auth-probe/\",\"uploadId\":\"u-auth-probe\"}");
    assertRefused(refused, 403, "operator");
    Http.Reply listed = operator.get("/ops/ingestions");
    assertThat(listed.status()).isEqualTo(200);
    assertThat(listed.raw()).doesNotContain("auth-probe");
  }

  @Test
  void healthIsOpenAndAnUnknownOpsPathWithoutATokenIs401Not404() {
    Http anonymous = operator.withoutToken();
    Http.Reply health = anonymous.get("/ops/health");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.body().path("status").asText()).isEqualTo("ok");
    assertRefused(anonymous.get("/ops/no-such-route"), 401, "no bearer token");
    assertThat(operator.get("/ops/no-such-route").status()).isEqualTo(404);
  }

  @Test
  void graphqlStillTakesAViewerWhileOpsRefusesIt() {
    String viewer = issuer.mint("vera", Role.VIEWER, Instant.now());
    Http.Reply api = operator.withToken(viewer).post("/graphql", "{\"query\":\"{ me { subject role } }\"}");
    assertThat(api.status()).as(api.toString()).isEqualTo(200);
    assertThat(api.body().path("data").path("me").path("subject").asText()).isEqualTo("vera");
    assertRefused(operator.withToken(viewer).get("/ops/ingestions"), 403, "viewer");
  }
}
