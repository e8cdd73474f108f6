package audience.devstack;

import audience.devstack.DevStack.Service;
import java.net.BindException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.apache.pekko.stream.BindFailedException;

/**
 * One emulated AWS service: how to start it on a port of 127.0.0.1, how to tell that it serves
 * ({@link #readiness()}, run by {@link EmulatorLauncher}) and how to stop it.
 */
abstract class Emulator {
  /**
   * A node emulator may take long on a loaded machine (kinesis-local loads a 9 MB script); this stays under
   * {@link DevStack#START_TIMEOUT} so that the devstack JVM reports which emulator hung.
   */
  static final Duration NODE_READY_TIMEOUT = Duration.ofSeconds(110);
  /**
   * An in-process server listens once its start returns, but it is probed only after the emulators started after it
   * (seconds on a loaded machine, and the deadline counts from its own start): the same ceiling as the node ones.
   */
  static final Duration IN_PROCESS_READY_TIMEOUT = NODE_READY_TIMEOUT;

  private final Service service;
  protected final Layout layout;
  private int port;
  private Instant startedAt;

  protected Emulator(Service service, Layout layout) {
    this.service = service;
    this.layout = layout;
  }

  final Service service() {
    return service;
  }

  /** The service in lower case: names it in logs, and names its log file and data folder. */
  final String name() {
    return service.name().toLowerCase(Locale.ROOT);
  }

  /** The port it was last started on. */
  final int port() {
    return port;
  }

  final URI endpoint() {
    return URI.create("http://" + Support.LOOPBACK + ":" + port);
  }

  /** When it was last started: its readiness timeout counts from here. */
  final Instant startedAt() {
    return startedAt;
  }

  /**
   * Starts it on {@code port}: returns once a node process runs, or once an in-process server listens.
   *
   * @throws PortTakenException when an in-process server could not bind the port
   */
  final void start(int port) throws Exception {
    this.port = port;
    this.startedAt = Instant.now();
    try {
      launch(port);
    } catch (Exception e) {
      Throwable bindFailure = bindFailure(e);
      if (bindFailure != null) {
        throw new PortTakenException(name(), port, bindFailure.toString(), e);
      }
      throw e;
    }
  }

  protected abstract void launch(int port) throws Exception;

  /** The bind failure in the causes of a failed start (Jetty and pekko-http wrap it), or null. */
  private static Throwable bindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException || t instanceof BindFailedException) {
        return t;
      }
    }
    return null;
  }

  /** The request that shows it serves, on its current port. */
  abstract ReadinessProbe readiness();

  /**
   * Throws if it has stopped by itself, saying why. In-process servers cannot stop by themselves: nothing to check.
   *
   * @throws PortTakenException when it stopped because its port was taken
   */
  void checkRunning() throws PortTakenException {}

  /** Where its output goes. */
  Path logFile() {
    return layout.logFile(Layout.DEVSTACK_LOG);
  }

  /** Stops it and waits until it has; harmless when it never started or already stopped. */
  abstract void stop();
}
