package audience.cli;

import audience.local.Local;
import audience.config.Settings;
import audience.service.Logging;
import audience.service.Service;
import audience.service.Shutdown;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run one service node (local profile: against the devstack in --devstack-home; "
        + "AUDIENCE_PROFILE=aws: against AWS) until stopped.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--devstack-home", description = "Devstack folder with endpoints.json (default: ${DEFAULT-VALUE}).",
      defaultValue = "run/devstack")
  Path devstackHome;
  @Option(names = "--http-port", description = "HTTP port (default: audience.http.port).") Integer httpPort;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> extra = httpPort == null ? Map.of() : Map.of("audience.http.port", httpPort);
    Settings settings = Local.settings(devstackHome, extra);
    Logging.apply(settings.logging());
    Service service = Service.start(settings);
    Shutdown shutdown = Shutdown.onSignal(service);
    System.err.println("serving on " + service.url() + "/ops" + service.management()
        .map(m -> ", management on " + m).orElse("") + " (Ctrl-C to stop)");
    shutdown.await();
    return 0;
  }
}
