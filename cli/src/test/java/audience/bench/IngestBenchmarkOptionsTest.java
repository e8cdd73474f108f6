package audience.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import audience.devstack.DevStack.Service;
import audience.devstack.FaultRule;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fault options of the benchmark, without running it. */
class IngestBenchmarkOptionsTest {
  private static IngestBenchmark.Options options(Double faults, Long latencyMs) {
    return new IngestBenchmark.Options(100, 1, null, 7, "512m", Duration.ofSeconds(1), Map.of(), 512, faults,
        latencyMs);
  }

  @Test
  void theProxyIsThereWhenEitherOptionIsGivenEvenAsZero() {
    assertThat(options(null, null).faultProxy()).isFalse();
    assertThat(options(0.0, null).faultProxy()).isTrue();
    assertThat(options(null, 0L).faultProxy()).isTrue();
  }

  @Test
  void everyServiceGetsTheLatencyAndTheFaultRateWithAShareOfResets() {
    var rules = options(0.05, 5L).faultRules();
    assertThat(rules.seed()).isEqualTo(7);
    for (Service s : Service.values()) {
      FaultRule rule = rules.of(s).get(0);
      assertThat(rule.name()).isEqualTo(IngestBenchmark.FAULT_RULE);
      assertThat(rule.latencyMs()).isEqualTo(5);
      assertThat(rule.resetProbability()).isCloseTo(0.05 * IngestBenchmark.RESET_SHARE_OF_FAULTS, within(1e-12));
      assertThat(rule.resetProbability() + (1 - rule.resetProbability()) * rule.errorProbability())
          .isCloseTo(0.05, within(1e-12));
    }
    assertThat(options(null, 3L).faultRules().of(Service.S3).get(0).errorProbability()).isZero();
  }

  @Test
  void refusesNonsense() {
    assertThatThrownBy(() -> options(1.5, null)).hasMessageContaining("--faults");
    assertThatThrownBy(() -> options(null, -1L)).hasMessageContaining("--latency-ms");
  }
}
