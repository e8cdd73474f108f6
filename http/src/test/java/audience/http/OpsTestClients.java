package audience.http;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.config.Settings;
import audience.service.AudienceNode;
import audience.service.OpsEndpoints;
import audience.testkit.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

import java.time.Instant;

/**
 * How this module's tests reach /ops: a node's /ops endpoints bound as the service binds them (health open, the rest
 * behind the operator's token), and a client that carries an operator's token minted with the node's local key.
 */
public final class OpsTestClients {
  public static final String OPERATOR = "test-operator";

  private OpsTestClients() {}

  /** Binds {@link OpsEndpoints#of} on the node's HTTP settings (port 0: any); answers an operator's client of it. */
  public static Http bind(AudienceNode node) {
    ServerBinding binding = HttpServer.start(node.system(), node.settings().http(), OpsEndpoints.of(node));
    return operator("http://127.0.0.1:" + binding.localAddress().getPort(), node.settings());
  }

  /** A client of {@code url} with an operator's token signed with {@code settings}' local key. */
  public static Http operator(String url, Settings settings) {
    return new Http(url, token(settings, Role.OPERATOR));
  }

  /** A fresh token of {@code role}, signed with {@code settings}' local key. */
  public static String token(Settings settings, Role role) {
    return new TokenIssuer(settings.api().jwt()).mint(role == Role.OPERATOR ? OPERATOR : "test-" + role.claim(), role,
        Instant.now());
  }
}
