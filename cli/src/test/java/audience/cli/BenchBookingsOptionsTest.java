package audience.cli;

import audience.bench.BookingsBenchmark;
import audience.config.Settings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code ./audience bench bookings}'s options as picocli parses them, without running the benchmark. */
class BenchBookingsOptionsTest {
  private static BookingsBenchmark.Options parse(String... args) {
    BenchBookings command = new BenchBookings();
    new CommandLine(command).parseArgs(args);
    return command.options();
  }

  @Test
  void defaultsAreTheServicesOwnChunkSizeAUtcCreatorAndADevstackSizedForTheMembers() {
    BookingsBenchmark.Options o = parse("--members", "200000");
    assertThat(o.members()).isEqualTo(200_000);
    assertThat(o.chunkSize()).isNull();
    assertThat(o.seed()).isEqualTo(1);
    assertThat(o.serviceHeap()).isEqualTo("512m");
    assertThat(o.devstackHeapMb()).isEqualTo(BookingsBenchmark.Options.devstackHeapMbFor(200_000)).isGreaterThan(512);
    assertThat(BookingsBenchmark.Options.devstackHeapMbFor(1_000)).isEqualTo(512);
    assertThat(o.serviceProperties()).isEqualTo(Map.of("audience.profile", Settings.PROFILE_LOCAL,
        "audience.bookings.creator.zone", "UTC"));
    assertThat(o.sandboxCompletionDelay()).isEqualTo(Duration.ofMillis(50));
  }

  @Test
  void everyOptionReachesTheBenchmarkAndChunkSizeTheServicesSettings() {
    BookingsBenchmark.Options o = parse("--members", "500", "--chunk-size", "5000", "--seed", "7",
        "--service-heap", "1g", "--devstack-heap-mb", "768");
    assertThat(o).isEqualTo(new BookingsBenchmark.Options(500, 5000, 7, "1g", 768));
    assertThat(o.serviceProperties()).containsEntry("audience.bookings.upload.chunk-size", "5000")
        .containsEntry("audience.bookings.creator.zone", "UTC");
  }

  @Test
  void membersAreRequiredAndNonsenseIsRefused() {
    assertThatThrownBy(() -> parse("--seed", "2")).isInstanceOf(CommandLine.MissingParameterException.class);
    assertThatThrownBy(() -> parse("--members", "0")).hasMessageContaining("--members");
    assertThatThrownBy(() -> parse("--members", "10", "--chunk-size", "0")).hasMessageContaining("--chunk-size");
    assertThatThrownBy(() -> parse("--members", "10", "--chunk-size", "10001")).hasMessageContaining("--chunk-size");
    assertThatThrownBy(() -> parse("--members", "10", "--service-heap", "lots")).hasMessageContaining("--service-heap");
    assertThatThrownBy(() -> parse("--members", "10", "--devstack-heap-mb", "100"))
        .hasMessageContaining("--devstack-heap-mb");
  }
}
