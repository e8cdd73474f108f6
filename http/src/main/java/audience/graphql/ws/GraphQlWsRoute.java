package audience.graphql.ws;

import audience.config.Settings;
import audience.graphql.ErrorCode;
import audience.graphql.GraphQlApi;
import audience.auth.TokenVerifier;
import org.apache.pekko.event.Logging;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.StreamSupport;

/**
 * The WebSocket side of {@code /graphql}: an upgrade offering the {@code graphql-transport-ws} subprotocol becomes a
 * {@link GraphQlSocket}; an upgrade without it is refused 400; a request that is no upgrade passes to the HTTP routes.
 * The token may come in connection_init's payload ({@code {"authorization": "Bearer ..."}}) or, for clients that can
 * set headers, as the upgrade's {@code Authorization} header; the payload's wins.
 */
public final class GraphQlWsRoute extends AllDirectives {
  public static final String SUBPROTOCOL = "graphql-transport-ws";
  private static final String AUTHORIZATION = "authorization";
  private static final String BEARER = "Bearer ";

  private final GraphQlApi api;
  private final TokenVerifier verifier;
  private final Settings.ApiSettings settings;

  public GraphQlWsRoute(GraphQlApi api, TokenVerifier verifier, Settings.ApiSettings settings) {
    this.api = api;
    this.verifier = verifier;
    this.settings = settings;
  }

  /** Serves a WebSocket upgrade; rejects anything else (so that the HTTP routes see it). */
  public Route route() {
    return extractRequest(request -> {
      Optional<WebSocketUpgrade> upgrade = request.getAttribute(AttributeKeys.webSocketUpgrade);
      if (upgrade.isEmpty()) return reject();
      boolean offered = StreamSupport.stream(upgrade.get().getRequestedProtocols().spliterator(), false)
          .anyMatch(SUBPROTOCOL::equals);
      if (!offered || !WebSocketFrames.upgradable(upgrade.get())) {
        return complete(refusal("a WebSocket at /graphql speaks the " + SUBPROTOCOL + " subprotocol: offer it in "
            + "Sec-WebSocket-Protocol"));
      }
      Optional<String> header = request.getHeader(AUTHORIZATION).map(HttpHeader::value);
      return extractActorSystem(system -> extractMaterializer(mat -> complete(WebSocketFrames.upgrade(
          upgrade.get(), Optional.of(SUBPROTOCOL), GraphQlSocket.handler(api, settings, authenticator(header),
              system, mat), settings.subscriptions().maxMessageSize(), system,
          Logging.getLogger(system, GraphQlWsRoute.class)))));
    });
  }

  /** connection_init's payload to the caller: its {@code authorization} (either case), else the upgrade's header. */
  Function<Map<String, Object>, TokenVerifier.Result> authenticator(Optional<String> header) {
    return payload -> {
      Object token = payload.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(AUTHORIZATION))
          .map(Map.Entry::getValue).findFirst().orElse(null);
      if (token instanceof String s) {
        return s.regionMatches(true, 0, BEARER, 0, BEARER.length()) ? verifier.verifyHeader(Optional.of(s))
            : verifier.verify(s.trim());
      }
      if (token != null) return new TokenVerifier.Rejected("authorization must be a string: \"Bearer <token>\"");
      return verifier.verifyHeader(header);
    };
  }

  private static HttpResponse refusal(String message) {
    String body = "{\"errors\":[{\"message\":\"" + message + "\",\"extensions\":{\"code\":\""
        + ErrorCode.BAD_REQUEST.name() + "\"}}]}";
    return HttpResponse.create().withStatus(StatusCodes.BAD_REQUEST)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body));
  }
}
