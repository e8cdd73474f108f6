package audience.http;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RouteTemplateTest {
  private static final Set<String> METRICS = Set.of("metrics");

  @Test
  void routeWordsAreKeptAndIdsBecomeAPlaceholder() {
    assertThat(RouteTemplate.of("/ops/ingestions/run-42/quarantine/summary", METRICS))
        .isEqualTo("/ops/ingestions/{id}/quarantine/summary");
    assertThat(RouteTemplate.of("/ops/bookings/b-0123456789abcdef0123/cancel", METRICS))
        .isEqualTo("/ops/bookings/{id}/cancel");
    assertThat(RouteTemplate.of("/ops/members/m-000123", METRICS)).isEqualTo("/ops/members/{id}");
    assertThat(RouteTemplate.of("/graphql", METRICS)).isEqualTo("/graphql");
    assertThat(RouteTemplate.of("/metrics", METRICS)).isEqualTo("/metrics");
  }

  @Test
  void theRootAndEmptySegmentsAreOneTemplate() {
    assertThat(RouteTemplate.of("/", METRICS)).isEqualTo("/");
    assertThat(RouteTemplate.of("", METRICS)).isEqualTo("/");
    assertThat(RouteTemplate.of("//ops//health/", METRICS)).isEqualTo("/ops/health");
  }

  @Test
  void anythingElseAClientTypesIsAPlaceholderSoTheTagStaysBounded() {
    assertThat(RouteTemplate.of("/someone@example.com", METRICS)).isEqualTo("/{id}");
    assertThat(RouteTemplate.of("/wp-admin/setup.php", METRICS)).isEqualTo("/{id}/{id}");
    assertThat(RouteTemplate.of("/metrics", Set.of())).as("the metrics path is a word only when configured")
        .isEqualTo("/{id}");
  }

  @Test
  void deepPathsAreCut() {
    assertThat(RouteTemplate.of("/a/b/c/d/e/f/g/h/i", METRICS))
        .isEqualTo("/{id}/{id}/{id}/{id}/{id}/{id}/...");
    assertThat(RouteTemplate.of("/ops/ingestions/r/quarantine/summary/x", METRICS))
        .isEqualTo("/ops/ingestions/{id}/quarantine/summary/{id}");
  }

  @Test
  void statusClasses() {
    assertThat(HttpMetrics.statusClass(200)).isEqualTo("2xx");
    assertThat(HttpMetrics.statusClass(204)).isEqualTo("2xx");
    assertThat(HttpMetrics.statusClass(404)).isEqualTo("4xx");
    assertThat(HttpMetrics.statusClass(503)).isEqualTo("5xx");
  }
}
