package audience.cli;

import audience.bench.SegmentsBenchmark;
import audience.local.Local;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code ./audience bench segments}: the segment generation benchmark on fresh in-memory emulators (see
 * {@link SegmentsBenchmark} and docs/benchmarks.md). Progress and logs go to stderr; the last stdout line is the
 * result as one JSON object. Exit 0 when the generation completed (its manifest written).
 */
@Command(name = "segments", mixinStandardHelpOptions = true,
    description = "Segment generation benchmark: generate N files on fresh emulators, ingest them with a service "
        + "node, follow the run's segment generation to its manifest; prints one JSON line.")
final class BenchSegments implements Callable<Integer> {
  @Option(names = "--files", required = true, description = "Files to generate and ingest.") int files;
  @Option(names = "--seed", defaultValue = "1", description = "Data set seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--service-heap", defaultValue = "512m", description = "The service JVM's -Xmx (default: ${DEFAULT-VALUE}).")
  String serviceHeap;
  @Option(names = "--devstack-heap-mb", description = "The devstack JVM's -Xmx in MB (default: sized for --files, at least 512).")
  Long devstackHeapMb;
  @Option(names = "--min-audience", paramLabel = "M",
      description = "The service's audience.segments.min-audience (default: the service's own, 10).")
  Integer minAudience;

  /** The options as the benchmark takes them (validated there); the devstack heap sized for --files unless given. */
  SegmentsBenchmark.Options options() {
    int heapMb = devstackHeapMb != null ? devstackHeapMb.intValue() : Local.devstackHeapMbFor(files);
    return new SegmentsBenchmark.Options(files, seed, serviceHeap, heapMb, minAudience);
  }

  @Override
  public Integer call() throws Exception {
    SegmentsBenchmark.Options options = options();
    return BenchCommand.runOnFreshDevstack(options.devstackHeapMb(), (home, devstack) ->
        new SegmentsBenchmark(options, home, BenchCommand.benchSettings(devstack)).run());
  }
}
