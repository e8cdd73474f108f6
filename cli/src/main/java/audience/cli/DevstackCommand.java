package audience.cli;

import audience.devstack.DevStack;
import audience.service.Shutdown;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "devstack", mixinStandardHelpOptions = true,
    description = "Run the local AWS emulators (S3, DynamoDB, Kinesis, SNS, SQS) with persistent data until stopped.")
final class DevstackCommand implements Callable<Integer> {
  @Option(names = "--home", description = "Data, logs and endpoints.json (default: ${DEFAULT-VALUE}).",
      defaultValue = "run/devstack")
  Path home;
  @Option(names = "--transient", description = "Keep nothing across restarts (faster S3 listing).") boolean transientData;
  @Option(names = "--faults", description = "Put the fault proxy in front of every emulator; change its rules with"
      + " POST /faults on the endpoint named \"faults\" in endpoints.json (devstack/README.md).")
  boolean faults;

  @Override
  public Integer call() throws Exception {
    DevStack.Options options = transientData ? DevStack.Options.transientIn(home) : DevStack.Options.persistentIn(home);
    DevStack devstack = DevStack.start(faults ? options.withFaults() : options);
    Shutdown shutdown = Shutdown.onSignal(devstack);
    System.err.println("devstack up: " + devstack.endpoints() + "; endpoints in " + home.resolve("endpoints.json")
        + (faults ? "; fault rules: " + devstack.faults().endpoint() : "") + " (Ctrl-C to stop)");
    shutdown.await();
    return 0;
  }
}
