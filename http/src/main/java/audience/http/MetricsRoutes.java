package audience.http;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /<audience.metrics.path>}: the node's meters in the Prometheus text format 0.0.4. No token: like any
 * Prometheus target it is meant for a scraper on a private network (docs/operations.md, "Metrics").
 */
public final class MetricsRoutes extends AllDirectives {
  /** {@code text/plain; version=0.0.4; charset=utf-8}. */
  static final ContentType TEXT_0_0_4 = ContentTypes.create(MediaTypes.customWithOpenCharset("text", "plain",
      Map.of("version", "0.0.4"), true), HttpCharsets.UTF_8);

  private final String path;
  private final Supplier<String> scrape;

  /** {@code scrape}: the registry's text, asked on every request. */
  public MetricsRoutes(String path, Supplier<String> scrape) {
    this.path = path;
    this.scrape = scrape;
  }

  public Route routes() {
    return path(path, () -> get(() -> complete(HttpResponse.create().withEntity(
        HttpEntities.create(TEXT_0_0_4, scrape.get().getBytes(StandardCharsets.UTF_8))))));
  }
}
