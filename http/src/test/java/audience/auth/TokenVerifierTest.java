package audience.auth;

import audience.config.Settings;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class TokenVerifierTest {
  private static final int RSA_BITS = 2048;
  private static final Settings.JwtSettings JWT = Settings.load(Map.of()).api().jwt();
  private final TokenIssuer issuer = new TokenIssuer(JWT);
  private final TokenVerifier verifier = TokenVerifier.hs256(JWT);
  private final Instant now = Instant.now();

  private static Settings.JwtSettings with(String secret, String iss, String aud) {
    return new Settings.JwtSettings(secret, "", iss, aud, JWT.tokenTtl(), JWT.maxClockSkew());
  }

  @Test
  void aFreshTokenNamesItsSubjectAndRole() {
    assertThat(verifier.verifyHeader(Optional.of("Bearer " + issuer.mint("alice", Role.BOOKER, now))))
        .isEqualTo(new TokenVerifier.Verified(new Caller("alice", Role.BOOKER)));
  }

  @Test
  void anExpiredTokenIsRejected() {
    String expired = issuer.mint("alice", "viewer", now.minus(Duration.ofHours(2)), Duration.ofHours(1));
    assertThat(verifier.verify(expired)).isInstanceOfSatisfying(TokenVerifier.Rejected.class,
        r -> assertThat(r.reason()).containsIgnoringCase("expired"));
  }

  @Test
  void aTokenSignedWithAnotherKeyIsRejected() {
    String forged = new TokenIssuer(with("another-key-of-at-least-thirty-two-bytes!!", JWT.issuer(), JWT.audience()))
        .mint("mallory", Role.OPERATOR, now);
    assertThat(verifier.verify(forged)).isInstanceOfSatisfying(TokenVerifier.Rejected.class,
        r -> assertThat(r.reason()).containsIgnoringCase("signature"));
  }

  @Test
  void aTokenOfAnotherIssuerOrAudienceIsRejected() {
    String otherIssuer = new TokenIssuer(with(JWT.localSecret(), "someone-else", JWT.audience()))
        .mint("alice", Role.VIEWER, now);
    assertThat(verifier.verify(otherIssuer)).isInstanceOfSatisfying(TokenVerifier.Rejected.class,
        r -> assertThat(r.reason()).contains("iss"));
    String otherAudience = new TokenIssuer(with(JWT.localSecret(), JWT.issuer(), "another-api"))
        .mint("alice", Role.VIEWER, now);
    assertThat(verifier.verify(otherAudience)).isInstanceOf(TokenVerifier.Rejected.class);
  }

  @Test
  void aTokenWithAnUnknownRoleIsRejected() {
    String admin = issuer.mint("alice", "admin", now, Duration.ofMinutes(5));
    assertThat(verifier.verify(admin)).isInstanceOfSatisfying(TokenVerifier.Rejected.class,
        r -> assertThat(r.reason()).contains("role"));
  }

  @Test
  void noHeaderGarbageAndBasicAuthAreRejected() {
    assertThat(verifier.verifyHeader(Optional.empty())).isInstanceOf(TokenVerifier.Rejected.class);
    assertThat(verifier.verifyHeader(Optional.of("Bearer not.a.jwt"))).isInstanceOf(TokenVerifier.Rejected.class);
    assertThat(verifier.verifyHeader(Optional.of("Basic YWxpY2U6c2VjcmV0"))).isInstanceOf(TokenVerifier.Rejected.class);
  }

  @Test
  void rs256TokensAreVerifiedAgainstTheJwksAndAnHs256TokenIsNot() throws Exception {
    RSAKey key = new RSAKeyGenerator(RSA_BITS).keyID("k1").generate();
    TokenVerifier aws = TokenVerifier.rs256(new ImmutableJWKSet<>(new JWKSet(key.toPublicJWK())), JWT);
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("carol").issuer(JWT.issuer()).audience(JWT.audience())
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(5)))).claim("role", "operator").build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), claims);
    jwt.sign(new RSASSASigner(key));
    assertThat(aws.verify(jwt.serialize())).isEqualTo(new TokenVerifier.Verified(new Caller("carol", Role.OPERATOR)));
    assertThat(aws.verify(issuer.mint("carol", Role.OPERATOR, now))).isInstanceOf(TokenVerifier.Rejected.class);
  }

  @Test
  void rolesIncludeTheRolesBeforeThem() {
    assertThat(Role.OPERATOR.allows(Role.BOOKER)).isTrue();
    assertThat(Role.BOOKER.allows(Role.VIEWER)).isTrue();
    assertThat(Role.VIEWER.allows(Role.BOOKER)).isFalse();
    assertThat(Role.BOOKER.allows(Role.OPERATOR)).isFalse();
  }
}
