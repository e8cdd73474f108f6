package audience.http;

import audience.auth.Caller;
import audience.auth.Role;
import audience.auth.TokenVerifier;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

import java.util.function.Function;

/**
 * The bearer token in front of the {@code /ops} routes: every request under {@code /ops/} must carry
 * {@code Authorization: Bearer <JWT>} verified by {@link TokenVerifier} (the same checks as {@code /graphql}) and
 * naming the {@link Role#OPERATOR} role. A missing, malformed, expired or badly signed token is refused 401 with
 * {@code WWW-Authenticate: Bearer}; a valid token of a lower role 403. Both answer the routes' JSON error shape
 * {@code {"error": "...", "status": n}}, saying why without echoing the token. Paths outside {@code /ops} are not
 * looked at (they reject, for the routes after these).
 */
public final class OperatorAuth extends AllDirectives {
  private static final String OPS = "ops";
  private static final String AUTHORIZATION = "Authorization";
  private static final String CHALLENGE = "WWW-Authenticate";
  private static final String BEARER = "Bearer";
  private static final Role REQUIRED = Role.OPERATOR;

  private final TokenVerifier verifier;
  private final ObjectMapper json = JsonSupport.mapper();

  public OperatorAuth(TokenVerifier verifier) {
    this.verifier = verifier;
  }

  /** {@code ops} (routes under /ops, given the verified caller) behind the operator role. */
  public Route operatorOnly(Function<Caller, Route> ops) {
    return pathPrefixTest(OPS, () -> optionalHeaderValueByName(AUTHORIZATION, header -> {
      TokenVerifier.Result result = verifier.verifyHeader(header);
      if (result instanceof TokenVerifier.Rejected rejected) return complete(unauthenticated(rejected.reason()));
      Caller caller = ((TokenVerifier.Verified) result).caller();
      if (!caller.role().allows(REQUIRED)) {
        return complete(JsonSupport.error(json, StatusCodes.FORBIDDEN, "the /ops routes need the " + REQUIRED.claim()
            + " role; this token's role is " + caller.role().claim()));
      }
      return ops.apply(caller);
    }));
  }

  private HttpResponse unauthenticated(String reason) {
    return JsonSupport.error(json, StatusCodes.UNAUTHORIZED, reason).addHeader(RawHeader.create(CHALLENGE, BEARER));
  }
}
