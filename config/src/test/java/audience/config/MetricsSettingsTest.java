package audience.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricsSettingsTest {
  @Test
  void metricsAreServedAtSlashMetricsByDefault() {
    Settings.MetricsSettings m = Settings.load(Map.of()).metrics();
    assertThat(m.enabled()).isTrue();
    assertThat(m.path()).isEqualTo("metrics");
    assertThat(m.maxGraphQlOperations()).isEqualTo(100);
  }

  @Test
  void metricsCanBeTurnedOffOrMoved() {
    Settings.MetricsSettings m = Settings.load(Map.of("audience.metrics.enabled", false,
        "audience.metrics.path", "prometheus")).metrics();
    assertThat(m.enabled()).isFalse();
    assertThat(m.path()).isEqualTo("prometheus");
  }

  @Test
  void aPathUnderOpsOrOfSeveralSegmentsIsRefusedNamingTheKey() {
    for (String path : new String[] {"ops", "ops/metrics", "", "a/b"}) {
      assertThatThrownBy(() -> Settings.load(Map.of("audience.metrics.path", path)).metrics())
          .as(path).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("audience.metrics.path");
    }
  }
}
