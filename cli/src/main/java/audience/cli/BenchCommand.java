package audience.cli;

import audience.config.Settings;
import audience.devstack.DevStack;
import audience.local.Local;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
    subcommands = {BenchIngest.class, BenchSegments.class})
final class BenchCommand {
  private static final DateTimeFormatter HOME_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private BenchCommand() {}

  /** A new home for a benchmark's transient devstack and logs: {@code run/bench-<timestamp>}. */
  static Path newHome() {
    return Path.of("run", "bench-" + LocalDateTime.now().format(HOME_STAMP));
  }

  /**
   * The bench JVM's settings against {@code devstack}: it only uses AWS clients (generate, ceilings, baselines,
   * audit), so no node and no trigger listener.
   */
  static Settings benchSettings(DevStack devstack) {
    Map<String, Object> overrides = new HashMap<>(Local.endpoints(devstack.endpoints()));
    overrides.put("audience.profile", Settings.PROFILE_LOCAL);
    overrides.put("audience.trigger.enabled", false);
    return Settings.load(overrides);
  }
}
