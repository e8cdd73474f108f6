package audience.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "ingest", mixinStandardHelpOptions = true, description = "Ingestion benchmark (in progress).")
final class BenchIngest implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("not yet");
    return 1;
  }
}
