package audience.cli;

import audience.bench.BookingsBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code ./audience bench bookings}: the bookings benchmark on fresh in-memory emulators (see
 * {@link BookingsBenchmark} and docs/benchmarks.md). Progress and logs go to stderr; the last stdout line is the
 * result as one JSON object. Exit 0 when the booking was notified and the EDM sandbox holds exactly the segment's
 * members, each imported once.
 */
@Command(name = "bookings", mixinStandardHelpOptions = true,
    description = "Bookings benchmark: N opted-in members of one segment on fresh emulators, a service node books the "
        + "segment, writes its audience file and uploads it to the EDM sandbox; prints one JSON line.")
final class BenchBookings implements Callable<Integer> {
  @Option(names = "--members", required = true, description = "Opted-in members of the booked segment.") int members;
  @Option(names = "--chunk-size", paramLabel = "C",
      description = "The service's audience.bookings.upload.chunk-size (default: the service's own, 1000).")
  Integer chunkSize;
  @Option(names = "--seed", defaultValue = "1", description = "Data set seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--service-heap", defaultValue = "512m", description = "The service JVM's -Xmx (default: ${DEFAULT-VALUE}).")
  String serviceHeap;
  @Option(names = "--devstack-heap-mb", description = "The devstack JVM's -Xmx in MB (default: sized for --members).")
  Integer devstackHeapMb;

  /** The options as the benchmark takes them (validated there); the devstack heap sized for --members unless given. */
  BookingsBenchmark.Options options() {
    int heapMb = devstackHeapMb != null ? devstackHeapMb : BookingsBenchmark.Options.devstackHeapMbFor(members);
    return new BookingsBenchmark.Options(members, chunkSize, seed, serviceHeap, heapMb);
  }

  @Override
  public Integer call() throws Exception {
    BookingsBenchmark.Options options = options();
    return BenchCommand.runOnFreshDevstack(options.devstackHeapMb(), (home, devstack) ->
        new BookingsBenchmark(options, home, BenchCommand.benchSettings(devstack), devstack.edmSandbox()).run());
  }
}
