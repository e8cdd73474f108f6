package audience.cli;

import audience.bench.SegmentsBenchmark;
import audience.config.Settings;
import audience.local.Local;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code ./audience bench segments}'s options as picocli parses them, without running the benchmark. */
class BenchSegmentsOptionsTest {
  private static SegmentsBenchmark.Options parse(String... args) {
    BenchSegments command = new BenchSegments();
    new CommandLine(command).parseArgs(args);
    return command.options();
  }

  @Test
  void defaultsAreTheServicesOwnAndADevstackSizedForTheFiles() {
    SegmentsBenchmark.Options o = parse("--files", "50000");
    assertThat(o.files()).isEqualTo(50_000);
    assertThat(o.seed()).isEqualTo(1);
    assertThat(o.serviceHeap()).isEqualTo("512m");
    assertThat(o.devstackHeapMb()).isEqualTo(Local.devstackHeapMbFor(50_000));
    assertThat(o.minAudience()).isNull();
    assertThat(o.serviceProperties()).isEqualTo(Map.of("audience.profile", Settings.PROFILE_LOCAL));
    assertThat(o.effectiveMinAudience(10)).isEqualTo(10);
  }

  @Test
  void everyOptionReachesTheBenchmarkAndMinAudienceTheServicesSettings() {
    SegmentsBenchmark.Options o = parse("--files", "200", "--seed", "7", "--service-heap", "1g",
        "--devstack-heap-mb", "768", "--min-audience", "3");
    assertThat(o).isEqualTo(new SegmentsBenchmark.Options(200, 7, "1g", 768, 3));
    assertThat(o.serviceProperties()).containsEntry("audience.segments.min-audience", "3")
        .containsEntry("audience.profile", Settings.PROFILE_LOCAL);
    assertThat(o.effectiveMinAudience(10)).isEqualTo(3);
  }

  @Test
  void filesAreRequiredAndNonsenseIsRefused() {
    assertThatThrownBy(() -> parse("--seed", "2")).isInstanceOf(CommandLine.MissingParameterException.class);
    assertThatThrownBy(() -> parse("--files", "0")).hasMessageContaining("--files");
    assertThatThrownBy(() -> parse("--files", "10", "--min-audience", "0")).hasMessageContaining("--min-audience");
    assertThatThrownBy(() -> parse("--files", "10", "--service-heap", "lots")).hasMessageContaining("--service-heap");
  }
}
