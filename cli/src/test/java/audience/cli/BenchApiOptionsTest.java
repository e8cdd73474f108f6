package audience.cli;

import audience.bench.ApiBenchmark;
import audience.config.Settings;
import audience.local.Local;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.ZoneOffset;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code ./audience bench api}'s options as picocli parses them, without running the benchmark. */
class BenchApiOptionsTest {
  private static ApiBenchmark.Options parse(String... args) {
    BenchApi command = new BenchApi();
    new CommandLine(command).parseArgs(args);
    return command.options();
  }

  @Test
  void defaultsAre30SecondsAt32ConnectionsOver20000Files() {
    ApiBenchmark.Options o = parse();
    assertThat(o).isEqualTo(new ApiBenchmark.Options(20_000, 32, 30, 10, 10, 1, "512m",
        Local.devstackHeapMbFor(20_000), null));
    assertThat(o.pageSize()).isEqualTo(50);
    assertThat(o.effectiveMinAudience(10)).isEqualTo(10);
    assertThat(o.serviceProperties(ZoneOffset.ofHours(-10))).isEqualTo(Map.of(
        "audience.profile", Settings.PROFILE_LOCAL,
        "audience.api.limits.rate-limit.requests", Integer.toString(ApiBenchmark.BENCH_RATE_LIMIT),
        "audience.bookings.creator.zone", "-10:00"));
  }

  @Test
  void everyOptionReachesTheBenchmarkAndMinAudienceTheServicesSettings() {
    ApiBenchmark.Options o = parse("--seconds", "5", "--connections", "8", "--files", "3000", "--warmup-seconds", "0",
        "--baseline-seconds", "3", "--min-audience", "3", "--seed", "7", "--service-heap", "1g",
        "--devstack-heap-mb", "768");
    assertThat(o).isEqualTo(new ApiBenchmark.Options(3_000, 8, 5, 0, 3, 7, "1g", 768, 3));
    assertThat(o.serviceProperties(ZoneOffset.UTC)).containsEntry("audience.segments.min-audience", "3")
        .containsEntry("audience.bookings.creator.zone", "Z");
    assertThat(o.effectiveMinAudience(10)).isEqualTo(3);
  }

  @Test
  void theRaisedRateLimitIsAValueTheServiceAccepts() {
    Settings s = Settings.load(Map.of("audience.api.limits.rate-limit.requests", ApiBenchmark.BENCH_RATE_LIMIT,
        "audience.bookings.creator.zone", "+12:40"));
    assertThat(s.api().limits().rateLimitRequests()).isEqualTo(ApiBenchmark.BENCH_RATE_LIMIT);
    assertThat(s.bookings().creator().zone()).isEqualTo(ZoneOffset.ofHoursMinutes(12, 40));
  }

  @Test
  void nonsenseIsRefused() {
    assertThatThrownBy(() -> parse("--connections", "0")).hasMessageContaining("--connections");
    assertThatThrownBy(() -> parse("--connections", "100000")).hasMessageContaining("--connections");
    assertThatThrownBy(() -> parse("--seconds", "0")).hasMessageContaining("--seconds");
    assertThatThrownBy(() -> parse("--warmup-seconds", "-1")).hasMessageContaining("--warmup-seconds");
    assertThatThrownBy(() -> parse("--baseline-seconds", "0")).hasMessageContaining("--baseline-seconds");
    assertThatThrownBy(() -> parse("--files", "0")).hasMessageContaining("--files");
    assertThatThrownBy(() -> parse("--min-audience", "0")).hasMessageContaining("--min-audience");
    assertThatThrownBy(() -> parse("--service-heap", "lots")).hasMessageContaining("--service-heap");
    assertThatThrownBy(() -> parse("--connections", "many")).isInstanceOf(CommandLine.ParameterException.class);
  }
}
