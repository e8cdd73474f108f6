package audience.cli;

import audience.bench.ApiBenchmark;
import audience.local.Local;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code ./audience bench api}: the GraphQL API benchmark on fresh in-memory emulators (see {@link ApiBenchmark} and
 * docs/benchmarks.md). Progress and logs go to stderr; the last stdout line is the result as one JSON object. Exit 0
 * when every operation was measured and none answered an error (whether the latency target was met is a field).
 */
@Command(name = "api", mixinStandardHelpOptions = true,
    description = "GraphQL API benchmark: ingest N files and generate their segments on fresh emulators, then drive "
        + "POST /graphql from C connections in a closed loop (segment pages, booking details, bookings, cancels) and "
        + "with a trivial query as the baseline; prints one JSON line.")
final class BenchApi implements Callable<Integer> {
  @Option(names = "--seconds", defaultValue = "30", description = "The mix's measured seconds (default: ${DEFAULT-VALUE}).")
  int seconds;
  @Option(names = "--connections", defaultValue = "32",
      description = "Connections, each with one request in flight (default: ${DEFAULT-VALUE}).") int connections;
  @Option(names = "--files", defaultValue = "20000",
      description = "Files to generate and ingest before the load (default: ${DEFAULT-VALUE}).") int files;
  @Option(names = "--warmup-seconds", defaultValue = "10",
      description = "The mix's unmeasured warm-up (default: ${DEFAULT-VALUE}).") int warmupSeconds;
  @Option(names = "--baseline-seconds", defaultValue = "10",
      description = "The baseline's measured seconds (default: ${DEFAULT-VALUE}).") int baselineSeconds;
  @Option(names = "--min-audience", paramLabel = "M",
      description = "The service's audience.segments.min-audience (default: the service's own, 10).")
  Integer minAudience;
  @Option(names = "--seed", defaultValue = "1", description = "Data set seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--service-heap", defaultValue = "512m", description = "The service JVM's -Xmx (default: ${DEFAULT-VALUE}).")
  String serviceHeap;
  @Option(names = "--devstack-heap-mb", description = "The devstack JVM's -Xmx in MB (default: sized for --files, at least 512).")
  Integer devstackHeapMb;

  /** The options as the benchmark takes them (validated there); the devstack heap sized for --files unless given. */
  ApiBenchmark.Options options() {
    int heapMb = devstackHeapMb != null ? devstackHeapMb : Local.devstackHeapMbFor(files);
    return new ApiBenchmark.Options(files, connections, seconds, warmupSeconds, baselineSeconds, seed, serviceHeap,
        heapMb, minAudience);
  }

  @Override
  public Integer call() throws Exception {
    ApiBenchmark.Options options = options();
    return BenchCommand.runOnFreshDevstack(options.devstackHeapMb(), (home, devstack) ->
        new ApiBenchmark(options, home, BenchCommand.benchSettings(devstack)).run());
  }
}
