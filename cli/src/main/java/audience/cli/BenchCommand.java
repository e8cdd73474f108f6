package audience.cli;

import audience.bench.IngestBenchmark;
import audience.config.Settings;
import audience.devstack.DevStack;
import audience.local.Local;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;

@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks on fresh emulators: ingest, segments, bookings, api (the GraphQL API); each "
        + "prints one JSON line.",
    subcommands = {BenchIngest.class, BenchSegments.class, BenchBookings.class, BenchApi.class})
final class BenchCommand {
  private static final DateTimeFormatter HOME_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private BenchCommand() {}

  /** A new home for a benchmark's transient devstack and logs: {@code run/bench-<timestamp>}. */
  static Path newHome() {
    return Path.of("run", "bench-" + LocalDateTime.now().format(HOME_STAMP));
  }

  /** A benchmark against a fresh devstack: its home and the devstack running there. */
  @FunctionalInterface
  interface Bench {
    IngestBenchmark.Outcome run(Path home, DevStack devstack) throws Exception;
  }

  /**
   * Runs {@code bench} on fresh transient emulators (the devstack JVM with {@code devstackHeapMb}) in a new home,
   * prints its result as the last stdout line, and answers the exit code: 0 when it passed.
   */
  static int runOnFreshDevstack(int devstackHeapMb, Bench bench) throws Exception {
    Path home = newHome();
    System.err.println("[bench] starting emulators (devstack JVM -Xmx" + devstackHeapMb + "m) in "
        + home.toAbsolutePath());
    IngestBenchmark.Outcome outcome;
    try (DevStack devstack = DevStack.start(DevStack.Options.transientIn(home).withHeapMb(devstackHeapMb))) {
      outcome = bench.run(home, devstack);
    }
    System.err.println("[bench] logs in " + home.resolve("logs").toAbsolutePath());
    System.out.println(new ObjectMapper().writeValueAsString(outcome.json()));
    System.out.flush();
    return outcome.ok() ? 0 : 1;
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
