package audience.service;

import audience.config.Settings;
import audience.graphql.ApiBackend;
import audience.graphql.GraphQlRoutes;
import audience.http.HttpServer;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.Uri;

import java.util.Optional;

/** A service node with its HTTP endpoints and, when enabled, Pekko Management on its own port. */
public record Service(AudienceNode node, ServerBinding binding, Optional<Uri> management) implements AutoCloseable {

  public static Service start(Settings settings) {
    AudienceNode node = AudienceNode.start(settings);
    try {
      ServerBinding binding = HttpServer.start(node.system(), settings.http(),
          // /ops: health open, every other route for an operator's token; /graphql checks its own tokens
          OpsEndpoints.of(node)
              .orElse(GraphQlRoutes.of(ApiBackend.of(node.wiring().ingestion(), node.wiring().segments(),
                  node.wiring().bookings(), node.dependencies().quarantine()), settings).routes()));
      return new Service(node, binding, Management.start(node.system(), settings.management()));
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
  }

  public String url() {
    return "http://" + binding.localAddress().getHostString() + ":" + binding.localAddress().getPort();
  }

  @Override
  public void close() {
    node.close();
  }
}
