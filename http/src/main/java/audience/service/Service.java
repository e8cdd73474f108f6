package audience.service;

import audience.config.Settings;
import audience.graphql.ApiBackend;
import audience.graphql.GraphQlRoutes;
import audience.http.BookingsRoutes;
import audience.http.HttpServer;
import audience.http.MembersRoutes;
import audience.http.SegmentsRoutes;
import audience.http.OpsRoutes;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.Uri;

import java.util.Optional;

/** A service node with its HTTP endpoints and, when enabled, Pekko Management on its own port. */
public record Service(AudienceNode node, ServerBinding binding, Optional<Uri> management) implements AutoCloseable {

  public static Service start(Settings settings) {
    AudienceNode node = AudienceNode.start(settings);
    try {
      ServerBinding binding = HttpServer.start(node.system(), settings.http(),
          new OpsRoutes(node.wiring().ingestion(), node.dependencies().quarantine()).routes()
              .orElse(new MembersRoutes(node.dependencies().members()).routes())
              .orElse(new SegmentsRoutes(node.wiring().segments()).routes())
              .orElse(new BookingsRoutes(node.wiring().bookings()).routes())
              // the API checks a bearer token on every request; the /ops routes above do not (yet)
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
