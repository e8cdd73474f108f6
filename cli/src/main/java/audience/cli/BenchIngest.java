package audience.cli;

import audience.bench.IngestBenchmark;
import audience.config.Settings;
import audience.devstack.DevStack;
import audience.local.Local;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code ./audience bench ingest}: the ingestion benchmark on fresh in-memory emulators (see
 * {@link IngestBenchmark} and docs/benchmarks.md). Progress and logs go to stderr; the last stdout line is the
 * result as one JSON object. Exit 0 when the run completed, its done event arrived and nothing was lost.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Ingestion benchmark: generate N files on fresh emulators, measure ceilings and baselines, "
        + "ingest with a service node, read the stores back; prints one JSON line.")
final class BenchIngest implements Callable<Integer> {
  @Option(names = "--files", required = true, description = "Files to generate and ingest.") int files;
  @Option(names = "--bad-files", defaultValue = "0", description = "How many of them are bad (default: ${DEFAULT-VALUE}).")
  int badFiles;
  @Option(names = "--kill-at", description = "SIGKILL the service when this share of files is settled, then restart it.")
  Double killAt;
  @Option(names = "--seed", defaultValue = "1", description = "Data set seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--service-heap", defaultValue = "512m", description = "The service JVM's -Xmx (default: ${DEFAULT-VALUE}).")
  String serviceHeap;
  @Option(names = "--ceiling-seconds", defaultValue = "10", description = "Duration of each ceiling loop (default: ${DEFAULT-VALUE}).")
  int ceilingSeconds;
  @Option(names = "--devstack-heap-mb", description = "The devstack JVM's -Xmx in MB (default: sized for --files, at least 512).")
  Long devstackHeapMb;
  @Option(names = "--faults", paramLabel = "P",
      description = "Through the fault proxy: each AWS call of the ceilings, baselines and service fails with"
          + " probability P (an error in the service's dialect, or at a smaller share a connection reset).")
  Double faults;
  @Option(names = "--latency-ms", paramLabel = "L",
      description = "Through the fault proxy: L ms added to each AWS call of the ceilings, baselines and service.")
  Long latencyMs;

  @Override
  public Integer call() throws Exception {
    int heapMb = devstackHeapMb != null ? devstackHeapMb.intValue() : Local.devstackHeapMbFor(files);
    IngestBenchmark.Options options = new IngestBenchmark.Options(files, badFiles, killAt, seed, serviceHeap,
        Duration.ofSeconds(ceilingSeconds), Map.of("audience.profile", Settings.PROFILE_LOCAL), heapMb, faults,
        latencyMs);
    Path home = BenchCommand.newHome();
    System.err.println("[bench] starting emulators (devstack JVM -Xmx" + heapMb + "m" + (options.faultProxy()
        ? ", behind the fault proxy" : "") + ") in " + home.toAbsolutePath());
    DevStack.Options devstackOptions = DevStack.Options.transientIn(home).withHeapMb(heapMb);
    IngestBenchmark.Outcome outcome;
    try (DevStack devstack = DevStack.start(options.faultProxy() ? devstackOptions.withFaults() : devstackOptions)) {
      Settings settings = BenchCommand.benchSettings(devstack);
      outcome = new IngestBenchmark(options, home, settings,
          options.faultProxy() ? Optional.of(devstack.faults()) : Optional.empty()).run();
    }
    System.err.println("[bench] logs in " + home.resolve("logs").toAbsolutePath());
    System.out.println(new ObjectMapper().writeValueAsString(outcome.json()));
    System.out.flush();
    return outcome.ok() ? 0 : 1;
  }
}
