package audience.devstack;

import audience.devstack.DevStack.Endpoints;
import audience.devstack.DevStack.Service;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.ActorSystem;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.Await;

/**
 * The devstack JVM: S3Proxy and ElasticMQ in-process, dynalite, kinesis-local and the SNS launcher as child node
 * processes.
 *
 * <pre>
 * DevStackMain --home H [--persistent] [--services S3,SQS,...] [--parent-pid PID] --devstack-dir D
 * </pre>
 *
 * <p>Picks free ports (in persistent mode it reuses the ports of {@code H/endpoints.json} when they are free),
 * waits until every emulator answers, writes {@code H/endpoints.json} and prints {@code DEVSTACK READY <path>}. With
 * {@code --parent-pid} it stops when that process exits or its stdin reaches EOF; it always stops cleanly on
 * SIGTERM/SIGINT, and exits 0 after a clean stop.
 */
public final class DevStackMain {
  private static final Logger log = LoggerFactory.getLogger(DevStackMain.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(110);
  private static final Duration NODE_STOP_GRACE = Duration.ofSeconds(5);
  /**
   * kinesis-local saves its data on a graceful stop, which waits up to 30 s for open client connections to close
   * (it also saves every 5 s); when persistent, give it that long before killing it.
   */
  private static final Duration KINESIS_PERSISTENT_STOP_GRACE = Duration.ofSeconds(35);

  private final Path home;
  private final boolean persistent;
  private final Set<Service> services;
  private final Path devstackDir;
  private final Path logs;
  private final Map<Service, Integer> ports = new EnumMap<>(Service.class);
  private final Map<String, Process> nodeProcesses = new LinkedHashMap<>();
  private final AtomicBoolean stopped = new AtomicBoolean();
  /** Exit status once stopped: 0 after a clean stop (also on SIGTERM), 1 when starting failed. */
  private static volatile int exitStatus;
  private java.nio.channels.FileChannel homeLockChannel;
  private S3Proxy s3Proxy;
  private ActorSystem sqsSystem;
  private SQSRestServer sqsServer;

  private DevStackMain(Path home, boolean persistent, Set<Service> services, Path devstackDir) {
    this.home = home;
    this.persistent = persistent;
    this.services = services;
    this.devstackDir = devstackDir;
    this.logs = home.resolve("logs");
  }

  public static void main(String[] args) {
    Path home = null;
    boolean persistent = false;
    Set<Service> services = EnumSet.allOf(Service.class);
    Long parentPid = null;
    Path devstackDir = null;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--home" -> home = Path.of(value(args, ++i)).toAbsolutePath().normalize();
          case "--persistent" -> persistent = true;
          case "--services" -> {
            services = EnumSet.noneOf(Service.class);
            for (String s : value(args, ++i).split(",")) {
              if (!s.isBlank()) {
                services.add(Service.valueOf(s.trim().toUpperCase(java.util.Locale.ROOT)));
              }
            }
          }
          case "--parent-pid" -> parentPid = Long.parseLong(value(args, ++i));
          case "--devstack-dir" -> devstackDir = Path.of(value(args, ++i)).toAbsolutePath().normalize();
          default -> throw new IllegalArgumentException("unknown argument " + args[i]);
        }
      }
      if (home == null) {
        throw new IllegalArgumentException("--home is required");
      }
      if (services.isEmpty()) {
        throw new IllegalArgumentException("--services names no service");
      }
      if (devstackDir == null) {
        devstackDir = DevStack.locateDir();
      }
    } catch (RuntimeException e) {
      System.err.println("usage: DevStackMain --home H [--persistent] [--services S3,DYNAMODB,KINESIS,SNS,SQS]"
          + " [--parent-pid PID] --devstack-dir D");
      System.out.println(DevStack.FAILED_PREFIX + e.getMessage());
      System.exit(2);
      return;
    }

    DevStackMain main = new DevStackMain(home, persistent, services, devstackDir);
    Runtime.getRuntime().addShutdownHook(new Thread(main::shutdownHook, "devstack-shutdown"));
    try {
      Path endpoints = main.startAll();
      System.out.println(DevStack.READY_PREFIX + endpoints);
      System.out.flush();
    } catch (Throwable e) {
      log.error("devstack failed to start", e);
      e.printStackTrace(System.err);
      System.out.println(DevStack.FAILED_PREFIX + String.valueOf(e.getMessage()).replace('\n', ' '));
      System.out.flush();
      exitStatus = 1;
      System.exit(1);
      return;
    }

    if (parentPid != null) {
      long pid = parentPid;
      ProcessHandle.of(pid).ifPresentOrElse(
          parent -> parent.onExit().thenRun(() -> exit("parent process " + pid + " exited")),
          () -> exit("parent process " + pid + " is gone"));
      Thread stdinWatch = new Thread(() -> {
        try (InputStream in = System.in) {
          byte[] buf = new byte[256];
          while (in.read(buf) >= 0) {
            // ignore input; wait for EOF
          }
        } catch (IOException ignored) {
          // treat as EOF
        }
        exit("stdin closed");
      }, "devstack-stdin-watch");
      stdinWatch.setDaemon(true);
      stdinWatch.start();
    }
    try {
      new CountDownLatch(1).await(); // run until exit() or a signal
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException("missing value for " + args[i - 1]);
    }
    return args[i];
  }

  private static void exit(String why) {
    log.info("stopping the devstack: {}", why);
    System.exit(0); // runs the shutdown hook
  }

  private Path startAll() throws Exception {
    Instant t0 = Instant.now();
    Files.createDirectories(logs);
    lockHome();
    if (services.stream().anyMatch(Service::runsOnNode)) {
      DevStack.ensureNodeModules(devstackDir);
    }
    Path endpointsFile = home.resolve("endpoints.json");
    choosePorts(endpointsFile);
    log.info("starting {} under {} ({}) on ports {}", services, home, persistent ? "persistent" : "transient", ports);

    // Node processes first: they take longest to come up, and the in-process servers start meanwhile.
    if (services.contains(Service.DYNAMODB)) {
      startDynalite();
    }
    if (services.contains(Service.KINESIS)) {
      startKinesis();
    }
    if (services.contains(Service.SNS)) {
      startSns();
    }
    if (services.contains(Service.S3)) {
      startS3();
    }
    if (services.contains(Service.SQS)) {
      startSqs();
    }

    Instant deadline = Instant.now().plus(READY_TIMEOUT);
    for (Service s : services) {
      awaitReady(s, deadline);
    }
    Endpoints endpoints = new Endpoints(
        uri(Service.S3), uri(Service.DYNAMODB), uri(Service.KINESIS), uri(Service.SNS), uri(Service.SQS),
        DevStack.REGION, DevStack.ACCESS_KEY, DevStack.SECRET_KEY);
    endpoints.write(endpointsFile);
    log.info("devstack ready in {} ms: {}", Duration.between(t0, Instant.now()).toMillis(), endpoints);
    return endpointsFile;
  }

  /** Two devstacks on one home would share data folders and endpoints.json: refuse the second. */
  private void lockHome() throws IOException {
    homeLockChannel = java.nio.channels.FileChannel.open(home.resolve("devstack.lock"),
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
    if (homeLockChannel.tryLock() == null) {
      homeLockChannel.close();
      homeLockChannel = null;
      throw new IllegalStateException("another devstack is already running with home " + home);
    }
  }

  private URI uri(Service s) {
    Integer port = ports.get(s);
    return port == null ? null : URI.create("http://" + Support.LOOPBACK + ":" + port);
  }

  /** Fresh free ports, except in persistent mode where the previous run's ports are kept when still free. */
  private void choosePorts(Path endpointsFile) throws IOException {
    Map<Service, Integer> previous = new EnumMap<>(Service.class);
    if (persistent && Files.isRegularFile(endpointsFile)) {
      try {
        Endpoints old = Endpoints.read(endpointsFile);
        for (Service s : services) {
          URI u = old.endpoint(s);
          if (u != null && u.getPort() > 0) {
            previous.put(s, u.getPort());
          }
        }
      } catch (RuntimeException e) {
        log.warn("ignoring unreadable {}: {}", endpointsFile, e.toString());
      }
    }
    List<Integer> fresh = Support.freePorts(services.size());
    int next = 0;
    for (Service s : services) {
      Integer old = previous.get(s);
      if (old != null && Support.isFree(old) && !ports.containsValue(old)) {
        ports.put(s, old);
      } else {
        if (old != null) {
          log.info("{} port {} of the previous run is taken; using a new one", s, old);
        }
        int p = fresh.get(next++);
        while (ports.containsValue(p) || previous.containsValue(p)) {
          p = Support.freePorts(1).get(0);
        }
        ports.put(s, p);
      }
    }
  }

  private Path dataDir(String name) throws IOException {
    return Files.createDirectories(home.resolve("data").resolve(name));
  }

  private void startS3() throws Exception {
    BlobStore store = persistent
        ? new FilesystemNio2BlobStore(dataDir("s3").toString())
        : new TransientNio2BlobStore();
    s3Proxy = S3Proxy.builder()
        .blobStore(store)
        .endpoint(uri(Service.S3))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, DevStack.ACCESS_KEY, DevStack.SECRET_KEY)
        .build();
    s3Proxy.start();
  }

  private void startSqs() {
    // A plain config: never the application.conf on the classpath (which may build a cluster).
    Config config = ConfigFactory.parseString("""
        pekko {
          loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
          logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
          loglevel = "INFO"
          logger-startup-timeout = 30s
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          actor.provider = local
          coordinated-shutdown.run-by-jvm-shutdown-hook = off
          http.server {
            parsing.illegal-header-warnings = off
            parsing.max-uri-length = 256k
            request-timeout = 21 s
          }
        }
        """).withFallback(ConfigFactory.defaultReference()).resolve();
    sqsSystem = ActorSystem.create("devstack-sqs", config, DevStackMain.class.getClassLoader());
    int port = ports.get(Service.SQS);
    sqsServer = SQSRestServerBuilder.withActorSystem(sqsSystem)
        .withPort(port)
        .withInterface(Support.LOOPBACK)
        .withServerAddress(new NodeAddress("http", Support.LOOPBACK, port, ""))
        .withAWSRegion(DevStack.REGION)
        .withAWSAccountId(DevStack.ACCOUNT_ID)
        .start();
    sqsServer.waitUntilStarted();
  }

  private String node() {
    String n = System.getProperty("audience.devstack.node");
    if (n == null || n.isBlank()) {
      n = System.getenv("AUDIENCE_DEVSTACK_NODE");
    }
    return n == null || n.isBlank() ? "node" : n;
  }

  private void startDynalite() throws IOException {
    List<String> cmd = new ArrayList<>(List.of(node(),
        devstackDir.resolve("dynamodb/server.cjs").toString(), // dynalite, surviving clients killed mid-request
        "--port", Integer.toString(ports.get(Service.DYNAMODB))));
    if (persistent) {
      cmd.add("--path");
      cmd.add(dataDir("dynamodb").toString());
    }
    spawn("dynamodb", cmd, devstackDir, Map.of());
  }

  private void startKinesis() throws IOException {
    Path pkg = devstackDir.resolve("node_modules/kinesis-local");
    int tlsPort = Support.freePorts(1).get(0); // fresh every start: it stays bound for seconds after SIGTERM
    while (ports.containsValue(tlsPort)) {
      tlsPort = Support.freePorts(1).get(0);
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(ports.get(Service.KINESIS)));
    env.put("KINESIS_MOCK_TLS_PORT", Integer.toString(tlsPort));
    env.put("SHARD_LIMIT", "100");
    env.put("LOG_LEVEL", "WARN");
    env.put("CREATE_STREAM_DURATION", "0ms");
    env.put("DELETE_STREAM_DURATION", "0ms");
    env.put("AWS_REGION", DevStack.REGION);
    env.put("AWS_ACCOUNT_ID", DevStack.ACCOUNT_ID);
    if (persistent) {
      env.put("SHOULD_PERSIST_DATA", "true");
      env.put("PERSIST_PATH", dataDir("kinesis").toString());
    }
    spawn("kinesis", List.of(node(), pkg.resolve("main.js").toString()), pkg, env);
  }

  private void startSns() throws IOException {
    List<String> cmd = new ArrayList<>(List.of(node(), devstackDir.resolve("sns/server.mjs").toString(),
        "--port", Integer.toString(ports.get(Service.SNS)),
        "--host", Support.LOOPBACK,
        "--region", DevStack.REGION,
        "--account-id", DevStack.ACCOUNT_ID));
    if (ports.containsKey(Service.SQS)) {
      cmd.add("--sqs-endpoint");
      cmd.add(uri(Service.SQS).toString());
    }
    spawn("sns", cmd, devstackDir, Map.of(
        "AWS_ACCESS_KEY_ID", DevStack.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", DevStack.SECRET_KEY,
        "AWS_REGION", DevStack.REGION));
  }

  private void spawn(String name, List<String> cmd, Path cwd, Map<String, String> env) throws IOException {
    Path logFile = logs.resolve(name + ".log");
    Files.writeString(logFile, "$ " + String.join(" ", cmd) + "  (in " + cwd + ")\n",
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(cwd.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .redirectInput(ProcessBuilder.Redirect.PIPE);
    pb.environment().putAll(env);
    pb.environment().put("NODE_NO_WARNINGS", "1");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name + " (" + cmd.get(0)
          + "; is Node.js >= 20 on the PATH?): " + e.getMessage(), e);
    }
    synchronized (nodeProcesses) {
      nodeProcesses.put(name, p);
    }
    log.info("{} started as pid {} (log: {})", name, p.pid(), logFile);
  }

  /** Waits until the service answers a real HTTP request; fails with the tail of its log. */
  private void awaitReady(Service s, Instant deadline) {
    String name = s.name().toLowerCase(java.util.Locale.ROOT);
    Process p = nodeProcesses.get(name);
    Path logFile = p == null ? logs.resolve("devstack.log") : logs.resolve(name + ".log");
    int port = ports.get(s);
    String lastProblem = "no answer yet";
    while (Instant.now().isBefore(deadline)) {
      if (p != null && !p.isAlive()) {
        throw new IllegalStateException(s + " exited with code " + p.exitValue() + " before it answered; tail of "
            + logFile + ":\n" + Support.tail(logFile, 40));
      }
      try {
        int status = probe(s, port);
        if (s != Service.SNS || status == 200) {
          log.info("{} answers on port {} (HTTP {})", s, port, status);
          return;
        }
        lastProblem = "HTTP " + status;
      } catch (IOException e) {
        lastProblem = e.toString();
      }
      try {
        Thread.sleep(150);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + s, e);
      }
    }
    throw new IllegalStateException(s + " did not answer on port " + port + " in time (" + lastProblem
        + "); tail of " + logFile + ":\n" + Support.tail(logFile, 40));
  }

  /**
   * One cheap real request per service, on a connection closed right after (an idle keep-alive connection would
   * hold kinesis-local's graceful shutdown for 30 s). Any HTTP answer, even an auth error, shows it is serving.
   *
   * @return the HTTP status code
   */
  private static int probe(Service s, int port) throws IOException {
    String target;
    String contentType;
    String body;
    switch (s) {
      case S3 -> {
        target = null;
        contentType = null;
        body = null;
      }
      case SQS -> {
        target = "AmazonSQS.ListQueues";
        contentType = "application/x-amz-json-1.0";
        body = "{}";
      }
      case DYNAMODB -> {
        target = "DynamoDB_20120810.ListTables";
        contentType = "application/x-amz-json-1.0";
        body = "{}";
      }
      case KINESIS -> {
        target = "Kinesis_20131202.ListStreams";
        contentType = "application/x-amz-json-1.1";
        body = "{}";
      }
      case SNS -> {
        target = null;
        contentType = "application/x-www-form-urlencoded";
        body = "Action=ListTopics&Version=2010-03-31";
      }
      default -> throw new IllegalArgumentException(s.name());
    }
    StringBuilder req = new StringBuilder(body == null ? "GET" : "POST").append(" / HTTP/1.1\r\n")
        .append("Host: ").append(Support.LOOPBACK).append(':').append(port).append("\r\n")
        .append("Connection: close\r\n");
    if (target != null) {
      req.append("X-Amz-Target: ").append(target).append("\r\n");
    }
    byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    if (body != null) {
      req.append("Content-Type: ").append(contentType).append("\r\n")
          .append("Content-Length: ").append(payload.length).append("\r\n");
    }
    req.append("\r\n");
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(Support.LOOPBACK, port), 1000);
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
      out.write(payload);
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      String statusLine = in.readLine();
      if (statusLine == null || !statusLine.startsWith("HTTP/")) {
        throw new IOException("not an HTTP answer: " + statusLine);
      }
      String[] parts = statusLine.split(" ", 3);
      try {
        return Integer.parseInt(parts[1]);
      } catch (RuntimeException e) {
        throw new IOException("bad HTTP status line: " + statusLine, e);
      }
    }
  }

  private void shutdownHook() {
    stopAll();
    PrintStream out = System.out;
    out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(exitStatus); // a clean stop exits 0, also on SIGTERM
  }

  /** Stops the node processes (SIGTERM, then SIGKILL after 5 s), S3Proxy and ElasticMQ. Idempotent. */
  private void stopAll() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    Map<String, Process> procs;
    synchronized (nodeProcesses) {
      procs = new LinkedHashMap<>(nodeProcesses);
    }
    Map<String, List<ProcessHandle>> children = new LinkedHashMap<>();
    procs.forEach((name, p) -> {
      children.put(name, p.descendants().toList());
      p.destroy();
    });
    Instant start = Instant.now();
    procs.forEach((name, p) -> {
      Duration grace = persistent && name.equals("kinesis") ? KINESIS_PERSISTENT_STOP_GRACE : NODE_STOP_GRACE;
      Duration left = Duration.between(Instant.now(), start.plus(grace));
      if (!Support.waitFor(p.toHandle(), left.isNegative() ? Duration.ZERO : left)) {
        log.warn("{} (pid {}) did not stop within {} s; killing it", name, p.pid(), grace.toSeconds());
        p.destroyForcibly();
        Support.waitFor(p.toHandle(), Duration.ofSeconds(5));
      }
      for (ProcessHandle c : children.get(name)) {
        if (c.isAlive()) {
          c.destroyForcibly();
        }
      }
    });
    if (s3Proxy != null) {
      try {
        s3Proxy.stop();
      } catch (Exception e) {
        log.warn("stopping S3Proxy failed", e);
      }
    }
    if (sqsServer != null) {
      try {
        sqsServer.stopAndWait();
      } catch (Exception e) {
        log.warn("stopping ElasticMQ failed", e);
      }
    }
    if (sqsSystem != null) {
      try {
        Await.result(sqsSystem.terminate(), scala.concurrent.duration.Duration.create(10, TimeUnit.SECONDS));
      } catch (Exception e) {
        log.warn("stopping the ElasticMQ actor system failed", e);
      }
    }
    log.info("devstack stopped");
  }
}
