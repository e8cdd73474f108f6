package audience.service;

import audience.config.Settings;
import audience.graphql.ApiBackend;
import audience.graphql.GraphQlMetrics;
import audience.graphql.GraphQlRoutes;
import audience.http.HttpMetrics;
import audience.http.HttpServer;
import audience.http.MetricsRoutes;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.server.Route;

import java.time.Clock;
import java.util.Set;

import java.util.Optional;

/** A service node with its HTTP endpoints and, when enabled, Pekko Management on its own port. */
public record Service(AudienceNode node, ServerBinding binding, Optional<Uri> management) implements AutoCloseable {

  public static Service start(Settings settings) {
    AudienceNode node = AudienceNode.start(settings);
    try {
      Settings.MetricsSettings metrics = settings.metrics();
      MeterRegistry registry = node.metrics().registry();
      // /ops: health open, every other route for an operator's token; /graphql checks its own tokens
      Route routes = OpsEndpoints.of(node)
          .orElse(GraphQlRoutes.of(ApiBackend.of(node.wiring().ingestion(), node.wiring().segments(),
              node.wiring().bookings(), node.dependencies().quarantine(), settings.api().readCacheTtl(),
              settings.api().readCacheMaxEntries(), Clock.systemUTC()), settings,
              new GraphQlMetrics(registry, metrics.maxGraphQlOperations())).routes());
      // /metrics asks for no token (a scraper's, on a private network): outside /ops and the API
      if (metrics.enabled()) routes = new MetricsRoutes(metrics.path(), node.metrics()::scrape).routes().orElse(routes);
      ServerBinding binding = HttpServer.start(node.system(), settings.http(),
          new HttpMetrics(registry, Set.of(metrics.path())).instrument(routes));
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
