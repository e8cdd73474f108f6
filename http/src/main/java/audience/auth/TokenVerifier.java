package audience.auth;

import audience.config.Settings;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.proc.SingleKeyJWSKeySelector;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import javax.crypto.spec.SecretKeySpec;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies the bearer token of a request: its signature (HS256 with the local key, or RS256 with a key of the
 * configured JWKS), its issuer, audience, expiry and not-before, and that it names a subject and a known role.
 * A rejection says why in words fit for the caller (nothing of the token is echoed).
 */
public final class TokenVerifier {
  public static final String ROLE_CLAIM = "role";
  private static final String BEARER = "Bearer ";
  private static final String HMAC = "HmacSHA256";
  private static final Set<String> REQUIRED = Set.of("sub", "exp", "iss", "aud", ROLE_CLAIM);

  private final DefaultJWTProcessor<SecurityContext> processor;
  private final String unconfigured;

  /** What a token amounts to. */
  public sealed interface Result permits Verified, Rejected {}

  public record Verified(Caller caller) implements Result {}

  public record Rejected(String reason) implements Result {}

  private TokenVerifier(DefaultJWTProcessor<SecurityContext> processor, Settings.JwtSettings jwt) {
    this(processor, jwt, null);
  }

  /** {@code unconfigured}: the reason every token is refused (no way to verify one is configured); null when one is. */
  private TokenVerifier(DefaultJWTProcessor<SecurityContext> processor, Settings.JwtSettings jwt, String unconfigured) {
    this.unconfigured = unconfigured;
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(jwt.audience(),
        new JWTClaimsSet.Builder().issuer(jwt.issuer()).build(), REQUIRED);
    claims.setMaxClockSkew((int) jwt.maxClockSkew().toSeconds());
    processor.setJWTClaimsSetVerifier(claims);
    this.processor = processor;
  }

  /** The profile's verifier: the local key (local), the JWKS URL (aws). */
  public static TokenVerifier of(Settings.JwtSettings jwt, String profile) {
    if (Settings.PROFILE_AWS.equals(profile)) {
      if (jwt.jwksUrl().isEmpty()) {
        // the node still starts (ingestion, segments and bookings run); the API refuses every request saying why
        return new TokenVerifier(new DefaultJWTProcessor<>(), jwt, "the API cannot verify tokens: "
            + "audience.api.jwt.jwks-url (AUDIENCE_API_JWKS_URL) is required on the aws profile");
      }
      try {
        return rs256(JWKSourceBuilder.create(URI.create(jwt.jwksUrl()).toURL()).build(), jwt);
      } catch (MalformedURLException | IllegalArgumentException e) {
        throw new IllegalArgumentException("audience.api.jwt.jwks-url is not a URL", e);
      }
    }
    return hs256(jwt);
  }

  /** HS256 with {@code jwt.localSecret()}. */
  public static TokenVerifier hs256(Settings.JwtSettings jwt) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(new SingleKeyJWSKeySelector<>(JWSAlgorithm.HS256,
        new SecretKeySpec(jwt.localSecret().getBytes(StandardCharsets.UTF_8), HMAC)));
    return new TokenVerifier(p, jwt);
  }

  /** RS256 with the keys of {@code keys} (a JWKS URL's, cached and refreshed; or a fixed set in tests). */
  public static TokenVerifier rs256(JWKSource<SecurityContext> keys, Settings.JwtSettings jwt) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys));
    return new TokenVerifier(p, jwt);
  }

  /** An {@code Authorization} header's value (absent: rejected). */
  public Result verifyHeader(Optional<String> authorization) {
    if (authorization.isEmpty()) return new Rejected("no bearer token: send Authorization: Bearer <token>");
    String h = authorization.get();
    if (!h.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return new Rejected("the Authorization header is not a bearer token");
    }
    return verify(h.substring(BEARER.length()).trim());
  }

  /** A compact JWT. */
  public Result verify(String token) {
    if (unconfigured != null) return new Rejected(unconfigured);
    JWTClaimsSet claims;
    try {
      claims = processor.process(token, null);
    } catch (ParseException e) {
      return new Rejected("the bearer token is not a JWT");
    } catch (BadJOSEException e) {
      return new Rejected("the bearer token is invalid: " + reason(e));
    } catch (JOSEException e) {
      return new Rejected("the bearer token could not be verified");
    }
    Object role = claims.getClaim(ROLE_CLAIM);
    Optional<Role> r = Role.fromClaim(role instanceof String s ? s : null);
    if (r.isEmpty()) return new Rejected("the bearer token names no known role (viewer, booker, operator)");
    if (claims.getSubject() == null || claims.getSubject().isBlank()) {
      return new Rejected("the bearer token names no subject");
    }
    return new Verified(new Caller(claims.getSubject(), r.get()));
  }

  /** Nimbus's own words, which name the failed check (expired, signature, issuer, audience) and not the token. */
  private static String reason(BadJOSEException e) {
    String m = e.getMessage() == null ? "rejected" : e.getMessage();
    return m.length() > MAX_REASON ? m.substring(0, MAX_REASON) : m;
  }

  private static final int MAX_REASON = 200;
}
