package audience.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

import java.util.Set;

/**
 * A directive timing every HTTP request of the routes it wraps: {@value #REQUESTS} (Prometheus
 * {@code audience_http_requests_seconds}) tagged by method, route template ({@link RouteTemplate}: no ids) and
 * status class (2xx, 4xx, 5xx...), errors being the 4xx and 5xx ones. The wrapped routes are sealed here, so a
 * rejection or an exception is counted with the status it is answered with.
 */
public final class HttpMetrics extends AllDirectives {
  public static final String REQUESTS = "audience.http.requests";
  static final String METHOD = "method";
  static final String ROUTE = "route";
  static final String STATUS = "status";
  private static final int STATUS_CLASS = 100;

  private final MeterRegistry registry;
  private final Set<String> extraWords;

  /** {@code extraWords}: literal path segments beside {@link RouteTemplate#WORDS} (the metrics path). */
  public HttpMetrics(MeterRegistry registry, Set<String> extraWords) {
    this.registry = registry;
    this.extraWords = Set.copyOf(extraWords);
  }

  public Route instrument(Route inner) {
    return extractRequest(request -> {
      long start = System.nanoTime();
      String method = request.method().name();
      String route = RouteTemplate.of(request.getUri().path(), extraWords);
      return mapResponse(response -> {
        timer(method, route, response.status().intValue()).record(System.nanoTime() - start,
            java.util.concurrent.TimeUnit.NANOSECONDS);
        return response;
      }, inner::seal);
    });
  }

  /** "2xx" for 204, "5xx" for 503. */
  static String statusClass(int status) {
    return (status / STATUS_CLASS) + "xx";
  }

  private Timer timer(String method, String route, int status) {
    return Timer.builder(REQUESTS).description("HTTP requests by method, route template and status class")
        .tag(METHOD, method).tag(ROUTE, route).tag(STATUS, statusClass(status))
        .publishPercentileHistogram().register(registry);
  }
}
