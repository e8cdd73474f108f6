package audience.cli;

import audience.devstack.DevStack;
import audience.generator.GeneratorSpec;
import audience.local.Local;
import audience.service.Service;
import audience.service.Shutdown;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start the devstack (data kept in run/devstack) and one service node, ingest a demo data set "
        + "through the SNS trigger with progress, then keep serving until Ctrl-C.")
final class UpCommand implements Callable<Integer> {
  @Mixin DemoData data;
  @Option(names = "--home", defaultValue = "run/devstack", description = "Devstack folder (default: ${DEFAULT-VALUE}).")
  Path home;
  @Option(names = "--http-port", description = "HTTP port (default: audience.http.port, 8080).") Integer httpPort;

  @Override
  public Integer call() throws Exception {
    DevStack devstack = DevStack.start(DevStack.Options.persistentIn(home));
    Service service;
    try {
      service = Service.start(Local.settings(devstack,
          data.serviceSettings(httpPort == null ? Map.of() : Map.of("audience.http.port", httpPort))));
    } catch (RuntimeException e) {
      devstack.close();
      throw e;
    }
    Shutdown shutdown = Shutdown.onSignal(service, devstack);
    System.err.println("service on " + service.url() + "/ops; emulators " + devstack.endpoints());
    GeneratorSpec spec = data.spec(service.node().settings().resources().rawBucket());
    ObjectNode summary = DemoRun.run(service.node(), spec, "up-" + Instant.now().toEpochMilli(),
        service.url());
    System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary));
    System.err.println("serving on " + service.url() + "/ops; try ./audience status --url " + service.url()
        + " (Ctrl-C to stop)");
    shutdown.await();
    return 0;
  }
}
