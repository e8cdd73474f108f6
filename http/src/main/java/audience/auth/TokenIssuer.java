package audience.auth;

import audience.config.Settings;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * Mints HS256 tokens with the local profile's key ({@code ./audience token}, the CLI's own operator token, tests).
 * Not for the aws profile.
 */
public final class TokenIssuer {
  private final Settings.JwtSettings jwt;

  public TokenIssuer(Settings.JwtSettings jwt) {
    if (jwt.localSecret().isEmpty()) {
      throw new IllegalArgumentException("audience.api.jwt.local-secret is empty: tokens are minted by the identity "
          + "provider on this profile");
    }
    this.jwt = jwt;
  }

  /** A token for {@code subject} with {@code role}, valid from {@code now} for the configured token-ttl. */
  public String mint(String subject, Role role, Instant now) {
    return mint(subject, role.claim(), now, jwt.tokenTtl());
  }

  /** Any role claim and lifetime (a negative one gives an expired token: tests). */
  public String mint(String subject, String roleClaim, Instant now, Duration ttl) {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(subject).issuer(jwt.issuer()).audience(jwt.audience())
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(ttl))).jwtID(UUID.randomUUID().toString())
        .claim(TokenVerifier.ROLE_CLAIM, roleClaim).build();
    SignedJWT token = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      token.sign(new MACSigner(jwt.localSecret().getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
    }
    return token.serialize();
  }
}
