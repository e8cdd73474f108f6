package audience.http;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.auth.TokenVerifier;
import audience.config.Settings;
import audience.testkit.Http;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link OperatorAuth} over HTTP, without a node: a route under /ops that answers its caller, behind the directive,
 * with the local profile's HS256 verifier and with an RS256 one (the aws profile's, keys from a fixed JWKS).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorAuthTest {
  private static final int RSA_BITS = 2048;
  private static final Settings SETTINGS = Settings.load(Map.of());
  private static final Settings.JwtSettings JWT = SETTINGS.api().jwt();
  private final TokenIssuer issuer = new TokenIssuer(JWT);
  private final Instant now = Instant.now();
  private ActorSystem<Void> system;
  private Http local;
  private Http aws;
  private RSAKey rsa;

  /** /ops/whoami answers the caller; /elsewhere is outside /ops and answers without a token. */
  private static final class Probe extends AllDirectives {
    Route routes(OperatorAuth auth) {
      return concat(
          auth.operatorOnly(caller -> pathPrefix("ops", () -> path("whoami", () -> get(() ->
              complete(JsonSupport.response(JsonSupport.mapper(), StatusCodes.OK,
                  Map.of("subject", caller.subject(), "role", caller.role().claim()))))))),
          path("elsewhere", () -> get(() -> complete("open"))));
    }
  }

  private Http serve(TokenVerifier verifier) {
    var binding = HttpServer.start(system, new Settings.HttpSettings("127.0.0.1", 0, ""),
        new Probe().routes(new OperatorAuth(verifier)));
    return new Http("http://127.0.0.1:" + binding.localAddress().getPort());
  }

  @BeforeAll
  void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "operator-auth-test",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    local = serve(TokenVerifier.hs256(JWT));
    rsa = new RSAKeyGenerator(RSA_BITS).keyID("k1").generate();
    aws = serve(TokenVerifier.rs256(new ImmutableJWKSet<>(new JWKSet(rsa.toPublicJWK())), JWT));
  }

  @AfterAll
  void stop() {
    if (system != null) system.terminate();
  }

  private static void assertUnauthenticated(Http.Reply r, String reason) {
    assertThat(r.status()).as(r.toString()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer");
    assertThat(r.contentType()).startsWith("application/json");
    assertThat(r.body().path("status").asInt()).isEqualTo(401);
    assertThat(r.body().path("error").asText()).contains(reason);
  }

  private void assertServedToAnOperator(Http client) {
    Http.Reply ok = client.withToken(issuer.mint("olga", Role.OPERATOR, Instant.now())).get("/ops/whoami");
    assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
    assertThat(ok.body().path("subject").asText()).isEqualTo("olga");
    assertThat(ok.body().path("role").asText()).isEqualTo("operator");
  }

  @Test
  void withoutATokenEveryOpsPathIsRefused401AndTheNextValidRequestIsServed() {
    assertUnauthenticated(local.get("/ops/whoami"), "no bearer token");
    // an unknown path under /ops says nothing about what exists there
    assertUnauthenticated(local.get("/ops/no-such-route"), "no bearer token");
    assertUnauthenticated(local.post("/ops/whoami", "{}"), "no bearer token");
    assertServedToAnOperator(local);
  }

  @Test
  void garbageAnotherSchemeAnExpiredTokenAndAForeignSignatureAre401() {
    assertUnauthenticated(local.withAuthorization("Bearer not.a.jwt").get("/ops/whoami"), "not a JWT");
    assertUnauthenticated(local.withAuthorization("Basic YWxpY2U6c2VjcmV0").get("/ops/whoami"), "not a bearer");
    String expired = issuer.mint("olga", Role.OPERATOR.claim(), now.minus(Duration.ofHours(2)), Duration.ofHours(1));
    assertUnauthenticated(local.withToken(expired).get("/ops/whoami"), "xpired");
    String foreign = new TokenIssuer(new Settings.JwtSettings("another-key-of-at-least-thirty-two-bytes!!", "",
        JWT.issuer(), JWT.audience(), JWT.tokenTtl(), JWT.maxClockSkew())).mint("mallory", Role.OPERATOR, now);
    assertUnauthenticated(local.withToken(foreign).get("/ops/whoami"), "invalid");
    String otherIssuer = new TokenIssuer(new Settings.JwtSettings(JWT.localSecret(), "", "someone-else",
        JWT.audience(), JWT.tokenTtl(), JWT.maxClockSkew())).mint("olga", Role.OPERATOR, now);
    assertUnauthenticated(local.withToken(otherIssuer).get("/ops/whoami"), "invalid");
    assertServedToAnOperator(local);
  }

  @Test
  void aViewerOrABookerIsRefused403WithTheRoleNeeded() {
    for (Role lower : new Role[] {Role.VIEWER, Role.BOOKER}) {
      Http.Reply r = local.withToken(issuer.mint("vera", lower, now)).get("/ops/whoami");
      assertThat(r.status()).as(r.toString()).isEqualTo(403);
      assertThat(r.body().path("status").asInt()).isEqualTo(403);
      assertThat(r.body().path("error").asText()).contains("operator").contains(lower.claim());
      assertThat(r.header("WWW-Authenticate")).isEmpty();
    }
    assertServedToAnOperator(local);
  }

  @Test
  void pathsOutsideOpsAreNotLookedAt() {
    Http.Reply r = local.get("/elsewhere");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.raw()).isEqualTo("open");
  }

  @Test
  void theAwsProfilesVerifierTakesAnRs256OperatorTokenOfTheJwksAndRefusesALocalOne() throws Exception {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("carol").issuer(JWT.issuer()).audience(JWT.audience())
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(5)))).claim("role", "operator").build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), claims);
    jwt.sign(new RSASSASigner(rsa));
    Http.Reply ok = aws.withToken(jwt.serialize()).get("/ops/whoami");
    assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
    assertThat(ok.body().path("subject").asText()).isEqualTo("carol");
    assertUnauthenticated(aws.withToken(issuer.mint("carol", Role.OPERATOR, now)).get("/ops/whoami"), "invalid");
  }
}
