package audience.devstack;

import audience.devstack.DevStack.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An emulator run as a node process, its output appended to {@code logs/<name>.log}. */
abstract class NodeEmulator extends Emulator {
  private static final Logger log = LoggerFactory.getLogger(NodeEmulator.class);
  /** How long a node emulator gets to exit after SIGTERM before it is killed. */
  static final Duration STOP_GRACE = Duration.ofSeconds(5);
  /** How long to wait for a killed process to be gone. */
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);
  private static final int LOG_TAIL_LINES = 40;

  /**
   * What to run: {@code node} with these arguments, in this folder, with these extra environment variables.
   *
   * @param args the script and its arguments
   */
  record Command(List<String> args, Path dir, Map<String, String> env) {}

  /** What node prints when the port is taken: {@code listen EADDRINUSE: address already in use :::PORT}. */
  private static final String PORT_TAKEN = "EADDRINUSE";

  private Process process;
  /** Where this start's output begins in the log, which older starts also wrote to. */
  private long logOffset;

  protected NodeEmulator(Service service, Layout layout) {
    super(service, layout);
  }

  /** The command that starts it listening on {@code port}. */
  protected abstract Command command(int port) throws IOException;

  /** How long it gets to exit after SIGTERM before it is killed. */
  protected Duration stopGrace() {
    return STOP_GRACE;
  }

  @Override
  Path logFile() {
    return layout.logFile(name());
  }

  /** The node executable: system property audience.devstack.node, env AUDIENCE_DEVSTACK_NODE, else {@code node}. */
  static String nodeExecutable() {
    String n = System.getProperty("audience.devstack.node");
    if (n == null || n.isBlank()) {
      n = System.getenv("AUDIENCE_DEVSTACK_NODE");
    }
    return n == null || n.isBlank() ? "node" : n;
  }

  @Override
  protected synchronized void launch(int port) throws IOException {
    Command command = command(port);
    List<String> cmd = new ArrayList<>();
    cmd.add(nodeExecutable());
    cmd.addAll(command.args());
    Path logFile = logFile();
    logOffset = Files.exists(logFile) ? Files.size(logFile) : 0;
    Files.writeString(logFile, "$ " + String.join(" ", cmd) + "  (in " + command.dir() + ")\n",
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(command.dir().toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .redirectInput(ProcessBuilder.Redirect.PIPE);
    pb.environment().putAll(command.env());
    pb.environment().put("NODE_NO_WARNINGS", "1");
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name() + " (" + cmd.get(0)
          + "; is Node.js >= 20 on the PATH?): " + e.getMessage(), e);
    }
    log.info("{} started as pid {} for port {} (log: {})", name(), process.pid(), port, logFile);
  }

  @Override
  synchronized void checkRunning() throws PortTakenException {
    if (process != null && !process.isAlive()) {
      String portTaken = Support.linesFrom(logFile(), logOffset).stream()
          .filter(line -> line.contains(PORT_TAKEN)).findFirst().orElse(null);
      if (portTaken != null) {
        throw new PortTakenException(name(), port(), portTaken.trim(), null);
      }
      throw new IllegalStateException(name() + " exited with code " + process.exitValue()
          + " before it answered on port " + port() + "; tail of " + logFile() + ":\n"
          + Support.tail(logFile(), LOG_TAIL_LINES));
    }
  }

  /** SIGTERM, then SIGKILL after {@link #stopGrace()}; also kills any process it left behind. */
  @Override
  synchronized void stop() {
    if (process == null) {
      return;
    }
    Process p = process;
    process = null;
    List<ProcessHandle> children = p.descendants().toList();
    p.destroy();
    Duration grace = stopGrace();
    if (!Support.waitFor(p.toHandle(), grace)) {
      log.warn("{} (pid {}, port {}) did not stop within {} s; killing it", name(), p.pid(), port(),
          grace.toSeconds());
      p.destroyForcibly();
      Support.waitFor(p.toHandle(), KILL_WAIT);
    }
    for (ProcessHandle c : children) {
      if (c.isAlive()) {
        c.destroyForcibly();
      }
    }
  }
}
