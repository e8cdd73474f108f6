package audience.local;

import audience.config.Settings;
import audience.devstack.DevStack;
import audience.service.ServiceMain;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A service node in a JVM of its own ({@link ServiceMain}, what the service jar runs), against a devstack whose
 * endpoints.json is in {@code devstackHome}: what the crash test and the benchmark kill with SIGKILL and start
 * again, while the emulators (another process) keep their data. The service binds HTTP on port 0 and reports the
 * port it got in a file: a port picked here and bound there could be taken in between.
 */
public final class ServiceProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration POLL = Duration.ofMillis(200);
  /**
   * The service's JIT and GC choice, as in the ./audience launcher: runs last seconds to minutes, so C2's
   * compile time costs more CPU than its faster code saves (measured: 1,160 vs 1,710 files/s at 30,000 files).
   */
  public static final String SERVICE_JVM_FLAGS = "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC";
  /** Extra JVM options for the service process (e.g. a flight recording), split on spaces. */
  public static final String EXTRA_JAVA_OPTS = "AUDIENCE_SERVICE_JAVA_OPTS";

  private final Process process;
  private final Path managementPortFile;
  private volatile int port;

  private ServiceProcess(Process process, Path managementPortFile) {
    this.process = process;
    this.managementPortFile = managementPortFile;
  }

  /** Where the child writes its Pekko Management port (it binds any free one). */
  private static Path managementPortFile(Path log) {
    return log.toAbsolutePath().resolveSibling(log.getFileName() + ".management-port");
  }

  /**
   * Starts {@link ServiceMain} with this JVM's class path, the devstack's endpoints and the given system
   * properties (settings overrides), logging to {@code log}; returns once {@code /ops/health} answers.
   */
  public static ServiceProcess start(Path devstackHome, Map<String, String> properties, String maxHeap, Path log)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + maxHeap,
        "-Daws.java.v1.disableDeprecationAnnouncement=true"));
    cmd.addAll(List.of(SERVICE_JVM_FLAGS.split(" ")));
    String extra = System.getenv(EXTRA_JAVA_OPTS);
    if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
    Files.createDirectories(log.toAbsolutePath().getParent());
    Path portFile = log.toAbsolutePath().resolveSibling(log.getFileName() + ".port");
    Files.deleteIfExists(portFile);
    Files.deleteIfExists(managementPortFile(log));
    Map<String, Object> settings = new TreeMap<>(Local.endpoints(DevStack.Endpoints.read(
        devstackHome.resolve("endpoints.json"))));
    settings.put("audience.profile", Settings.PROFILE_LOCAL);
    settings.put("audience.http.port", 0);
    settings.put("audience.http.port-file", portFile.toString());
    settings.put("pekko.management.http.port", 0);
    settings.put("audience.management.port-file", managementPortFile(log).toString());
    settings.putAll(properties);
    settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.addAll(List.of("-cp", absoluteClassPath(), ServiceMain.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    ServiceProcess service = new ServiceProcess(p, managementPortFile(log));
    service.awaitHealthy(portFile, log);
    return service;
  }

  private static String absoluteClassPath() {
    StringBuilder b = new StringBuilder();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (b.length() > 0) b.append(java.io.File.pathSeparator);
      b.append(Path.of(entry).toAbsolutePath());
    }
    return b.toString();
  }

  private void awaitHealthy(Path portFile, Path log) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("service exited with " + process.exitValue() + "; see " + log);
      }
      if (port == 0) {
        if (Files.exists(portFile)) port = Integer.parseInt(Files.readString(portFile).trim());
        Thread.sleep(POLL.toMillis()); // polling another process's readiness
        continue;
      }
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/ops/health")).GET().build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(POLL.toMillis()); // polling another process's readiness
    }
    process.destroyForcibly();
    throw new IllegalStateException("service not healthy within " + START_TIMEOUT + "; see " + log);
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** The child's Pekko Management base URL (/ready, /alive, /cluster/members); written once the service serves. */
  public String managementUrl() throws IOException {
    return "http://127.0.0.1:" + Files.readString(managementPortFile).trim();
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook, no goodbye. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) kill();
  }
}
