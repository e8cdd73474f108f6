package audience.service;

import audience.config.Settings;

/**
 * The service's main: one node with its HTTP endpoints, configured by HOCON only (system properties,
 * {@code AUDIENCE_*} variables, {@code application.conf}; see reference.conf), until SIGTERM or Ctrl-C.
 * What {@code target/audience-service.jar} runs; {@code ./audience serve} does the same against the devstack.
 */
public final class ServiceMain {
  private ServiceMain() {}

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.load();
    Logging.apply(settings.logging());
    Service service = Service.start(settings);
    Shutdown shutdown = Shutdown.onSignal(service);
    System.err.println("serving on " + service.url() + "/ops" + service.management()
        .map(m -> ", management on " + m).orElse("") + " (profile " + settings.profile() + ")");
    shutdown.await();
  }
}
