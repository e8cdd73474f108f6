package audience.http;

import audience.config.Settings;
import audience.testkit.Http;
import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP meters over real HTTP: every answer counted by method, route template and status class, including the
 * rejections and exceptions the wrapped routes leave to the default handlers; /metrics answers the text format.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpMetricsTest extends AllDirectives {
  private ActorSystem<Void> system;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private Http http;

  @BeforeAll
  void start() {
    system = ActorSystem.create(Behaviors.empty(), "http-metrics-test",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    Route routes = new MetricsRoutes("metrics", () -> "# TYPE up gauge\nup 1.0\n").routes().orElse(
        pathPrefix("ops", () -> pathPrefix("ingestions", () -> path(PathMatchers.segment(), id -> concat(
            get(() -> complete("run " + id)),
            post(() -> {
              throw new IllegalStateException("boom");
            }))))));
    var binding = HttpServer.start(system, new Settings.HttpSettings("127.0.0.1", 0, ""),
        new HttpMetrics(registry, Set.of("metrics")).instrument(routes));
    http = new Http("http://127.0.0.1:" + binding.localAddress().getPort());
  }

  @AfterAll
  void stop() {
    if (system != null) system.terminate();
  }

  private long count(String method, String route, String status) {
    var timer = registry.find(HttpMetrics.REQUESTS)
        .tags(Map.of("method", method, "route", route, "status", status).entrySet().stream()
            .flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue())).toArray(String[]::new)).timer();
    return timer == null ? 0 : timer.count();
  }

  @Test
  void answersAreCountedByTemplateAndStatusClassWithTheirIdsLeftOut() {
    assertThat(http.get("/ops/ingestions/run-1").status()).isEqualTo(200);
    assertThat(http.get("/ops/ingestions/run-2").status()).isEqualTo(200);
    assertThat(count("GET", "/ops/ingestions/{id}", "2xx")).isEqualTo(2);
    assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags().toString())
        .doesNotContain("run-1").doesNotContain("run-2"));
  }

  @Test
  void rejectionsAndExceptionsAreCountedWithTheStatusTheyAreAnsweredWith() {
    assertThat(http.get("/nowhere/at/all").status()).isEqualTo(404);
    assertThat(count("GET", "/{id}/{id}/{id}", "4xx")).isEqualTo(1);
    assertThat(http.post("/ops/ingestions/run-3", "{}").status()).isEqualTo(500);
    assertThat(count("POST", "/ops/ingestions/{id}", "5xx")).isEqualTo(1);
    assertThat(http.delete("/metrics").status()).isEqualTo(405);
    assertThat(count("DELETE", "/metrics", "4xx")).isEqualTo(1);
  }

  @Test
  void metricsAnswerThePrometheusTextFormat() {
    Http.Reply r = http.get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.contentType()).isEqualTo("text/plain; version=0.0.4; charset=UTF-8");
    assertThat(r.raw()).isEqualTo("# TYPE up gauge\nup 1.0\n");
    assertThat(count("GET", "/metrics", "2xx")).isEqualTo(1);
  }
}
