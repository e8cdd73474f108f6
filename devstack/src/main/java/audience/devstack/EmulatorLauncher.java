package audience.devstack;

import audience.devstack.DevStack.Service;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts emulators and waits until they answer, moving an emulator to another port (from {@link Ports}) when its
 * bind fails: a free port can still be taken by another process between the check and the bind.
 *
 * <p>An in-process server reports a failed bind from its start; a node process exits with EADDRINUSE in its log
 * a moment later, which shows while waiting for its answer. Either way it is stopped and started again on another
 * port, at most {@link #MAX_PORT_ATTEMPTS} times in all.
 */
final class EmulatorLauncher {
  private static final Logger log = LoggerFactory.getLogger(EmulatorLauncher.class);
  /** Ports tried per emulator: losing the race for a fresh port twice in a row is already rare. */
  static final int MAX_PORT_ATTEMPTS = 5;
  /** Pause between readiness probes: short, as tests wait on the devstack's start. */
  private static final Duration READY_POLL_INTERVAL = Duration.ofMillis(150);
  private static final int LOG_TAIL_LINES = 40;

  private final Map<Service, Integer> failedBinds = new EnumMap<>(Service.class);

  /** Starts the emulator on {@code port}, or on another port when that one turns out to be taken. */
  void start(Emulator e, int port) throws Exception {
    while (true) {
      try {
        e.start(port);
        return;
      } catch (PortTakenException taken) {
        port = anotherPort(e, taken);
      }
    }
  }

  /**
   * Waits until the emulator answers; when it could not bind its port after all, starts it on another one and
   * waits again.
   */
  void awaitReady(Emulator e) throws Exception {
    while (true) {
      try {
        awaitAnswer(e);
        return;
      } catch (PortTakenException taken) {
        start(e, anotherPort(e, taken));
      }
    }
  }

  /** After a failed bind: stops what is left of the emulator and picks another port, or gives up. */
  private int anotherPort(Emulator e, PortTakenException taken) {
    e.stop();
    int failures = failedBinds.merge(e.service(), 1, Integer::sum);
    if (failures >= MAX_PORT_ATTEMPTS) {
      throw new IllegalStateException(e.name() + " could not bind any of " + failures + " ports; the last: "
          + taken.getMessage(), taken);
    }
    int next = Ports.pick();
    log.warn("{}; starting it again on port {}", taken.getMessage(), next);
    return next;
  }

  /**
   * The one readiness loop: sends the emulator's {@link ReadinessProbe} until it gets the expected answer, the
   * emulator stops by itself, or the probe's timeout (counted from the emulator's start) passes. It always probes
   * once: emulators are awaited one after the other, and on a loaded machine an in-process server's timeout may
   * pass while the launcher still waits for another, though it has served all along.
   */
  private static void awaitAnswer(Emulator e) throws PortTakenException {
    ReadinessProbe probe = e.readiness();
    Instant deadline = e.startedAt().plus(probe.timeout());
    String lastProblem = "no answer yet";
    for (boolean first = true; first || Instant.now().isBefore(deadline); first = false) {
      e.checkRunning();
      try {
        int status = probe.send();
        if (probe.accepts(status)) {
          log.info("{} answers on port {} (HTTP {})", probe.emulator(), probe.port(), status);
          return;
        }
        lastProblem = "HTTP " + status;
      } catch (IOException x) {
        lastProblem = x.toString();
      }
      try {
        Thread.sleep(READY_POLL_INTERVAL.toMillis());
      } catch (InterruptedException x) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + probe.emulator(), x);
      }
    }
    throw new IllegalStateException(probe.emulator() + " did not answer on port " + probe.port() + " within "
        + probe.timeout().toSeconds() + " s of its start (" + lastProblem + "); tail of " + e.logFile() + ":\n"
        + Support.tail(e.logFile(), LOG_TAIL_LINES));
  }
}
