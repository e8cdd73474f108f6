package audience.devstack;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local AWS emulators (all open source) for tests and for the CLI.
 *
 * <p>{@link #start(Options)} spawns one child "devstack JVM" ({@link DevStackMain}) that hosts S3Proxy and
 * ElasticMQ in-process and runs dynalite, kinesis-local and the SNS launcher ({@code devstack/sns/server.mjs})
 * as node processes. Each listens on a free port of 127.0.0.1; logs go to {@code <home>/logs}, the endpoints to
 * {@code <home>/endpoints.json}. {@link #close()} stops all of it and waits for the processes to exit; the child
 * also stops by itself when this JVM exits.
 */
public final class DevStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DevStack.class);

  /** Line the devstack JVM prints on stdout once every emulator answers; followed by the endpoints.json path. */
  static final String READY_PREFIX = "DEVSTACK READY ";
  /** Line the devstack JVM prints on stdout when it cannot start; followed by the reason. */
  static final String FAILED_PREFIX = "DEVSTACK FAILED ";
  static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  static final String REGION = "us-east-1";
  static final String ACCESS_KEY = "test";
  static final String SECRET_KEY = "test";
  static final String ACCOUNT_ID = "000000000000";

  /** The emulated services. */
  public enum Service {
    S3,
    DYNAMODB,
    KINESIS,
    SNS,
    SQS;

    /** Whether this service runs as a node process (so it needs {@code node_modules}). */
    boolean runsOnNode() {
      return this == DYNAMODB || this == KINESIS || this == SNS;
    }
  }

  /**
   * Where each running emulator answers (null for a service that was not started), and the region and static
   * credentials to use with them; {@code edm}: the EDM sandbox's base URL (its API under {@code /v1}, its control
   * API under {@code /sandbox}; null when none runs), whose API key is {@link Options#edmApiKey()}.
   */
  public record Endpoints(
      URI s3, URI dynamodb, URI kinesis, URI sns, URI sqs, String region, String accessKey, String secretKey,
      URI edm) {
    /** The endpoints.json key of the fault proxy's control endpoint (absent without the proxy). */
    public static final String FAULTS_KEY = "faults";
    /** The endpoints.json key of the EDM sandbox's base URL. */
    public static final String EDM_KEY = "edm";

    /** The AWS endpoints alone, without an EDM sandbox. */
    public Endpoints(
        URI s3, URI dynamodb, URI kinesis, URI sns, URI sqs, String region, String accessKey, String secretKey) {
      this(s3, dynamodb, kinesis, sns, sqs, region, accessKey, secretKey, null);
    }

    /** The endpoint of one service, or null if it was not started. */
    public URI endpoint(Service service) {
      return switch (service) {
        case S3 -> s3;
        case DYNAMODB -> dynamodb;
        case KINESIS -> kinesis;
        case SNS -> sns;
        case SQS -> sqs;
      };
    }

    /** Reads an endpoints.json written by {@link #write(Path)}. */
    public static Endpoints read(Path json) {
      Map<String, String> m;
      try {
        m = FlatJson.read(Files.readString(json, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + json, e);
      }
      return new Endpoints(
          uri(m.get("s3")),
          uri(m.get("dynamodb")),
          uri(m.get("kinesis")),
          uri(m.get("sns")),
          uri(m.get("sqs")),
          m.getOrDefault("region", REGION),
          m.getOrDefault("accessKey", ACCESS_KEY),
          m.getOrDefault("secretKey", SECRET_KEY),
          uri(m.get(EDM_KEY)));
    }

    /** Writes this as a flat JSON object (atomically: a temporary file moved into place). */
    public void write(Path json) {
      write(json, Map.of());
    }

    /** Writes this and {@code extra} keys (such as {@link #FAULTS_KEY}) as a flat JSON object, atomically. */
    void write(Path json, Map<String, String> extra) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("s3", str(s3));
      m.put("dynamodb", str(dynamodb));
      m.put("kinesis", str(kinesis));
      m.put("sns", str(sns));
      m.put("sqs", str(sqs));
      m.put("region", region);
      m.put("accessKey", accessKey);
      m.put("secretKey", secretKey);
      m.put(EDM_KEY, str(edm));
      m.putAll(extra);
      try {
        Path abs = json.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        Files.writeString(tmp, FlatJson.write(m), StandardCharsets.UTF_8);
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + json, e);
      }
    }

    /**
     * The fault proxy's control endpoint named in an endpoints.json, or null when the devstack runs without the
     * proxy.
     */
    public static URI faultControl(Path json) {
      try {
        return uri(FlatJson.read(Files.readString(json, StandardCharsets.UTF_8)).get(FAULTS_KEY));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + json, e);
      }
    }

    private static URI uri(String s) {
      return s == null || s.isEmpty() ? null : URI.create(s);
    }

    private static String str(URI u) {
      return u == null ? null : u.toString();
    }
  }

  /**
   * What to start and where.
   *
   * @param home run folder: logs/, endpoints.json and (when persistent) data/
   * @param persistent keep data under {@code home/data/{s3,dynamodb,kinesis}} across restarts (SNS and SQS state is
   *     always in memory)
   * @param services the services to start (not empty)
   * @param devstackDir the devstack/ folder holding package.json, sns/server.mjs and node_modules
   * @param heapMb the devstack JVM's -Xmx in MB
   * @param faults null: no fault proxy, the endpoints are the emulators'; else a fault proxy in front of each
   *     emulator (the endpoints are the proxies'), starting with these rules (see {@link FaultRules})
   * @param edmApiKey the only API key the EDM sandbox accepts (never logged; not in {@link #toString()})
   */
  public record Options(Path home, boolean persistent, Set<Service> services, Path devstackDir, int heapMb,
                        FaultRules faults, String edmApiKey) {
    /** The devstack JVM's default heap; S3Proxy's in-memory store needs about 11 KB per object. */
    public static final int DEFAULT_HEAP_MB = 512;
    /**
     * The EDM sandbox's API key unless one is given: a fixed local key, which the local profile's
     * {@code audience.bookings.edm.api-key} (config/src/main/resources/audience-local.conf) also names.
     */
    public static final String DEFAULT_EDM_API_KEY = "audience-edm-sandbox-key";

    public Options(Path home, boolean persistent, Set<Service> services, Path devstackDir) {
      this(home, persistent, services, devstackDir, DEFAULT_HEAP_MB);
    }

    public Options(Path home, boolean persistent, Set<Service> services, Path devstackDir, int heapMb) {
      this(home, persistent, services, devstackDir, heapMb, null);
    }

    public Options(Path home, boolean persistent, Set<Service> services, Path devstackDir, int heapMb,
                   FaultRules faults) {
      this(home, persistent, services, devstackDir, heapMb, faults, DEFAULT_EDM_API_KEY);
    }

    public Options {
      if (edmApiKey == null || edmApiKey.isBlank()) {
        throw new IllegalArgumentException("the EDM sandbox needs an API key");
      }
      Objects.requireNonNull(home, "home");
      Objects.requireNonNull(services, "services");
      Objects.requireNonNull(devstackDir, "devstackDir");
      if (services.isEmpty()) {
        throw new IllegalArgumentException("no services to start");
      }
      home = home.toAbsolutePath().normalize();
      devstackDir = devstackDir.toAbsolutePath().normalize();
      services = Collections.unmodifiableSet(EnumSet.copyOf(services));
    }

    /** All services, in memory, under {@code home}; devstackDir = {@link DevStack#locateDir()}. */
    public static Options transientIn(Path home) {
      return new Options(home, false, EnumSet.allOf(Service.class), locateDir());
    }

    /** All services, data kept under {@code home/data}; devstackDir = {@link DevStack#locateDir()}. */
    public static Options persistentIn(Path home) {
      return new Options(home, true, EnumSet.allOf(Service.class), locateDir());
    }

    /** The same options with only the given services. */
    public Options withServices(Service first, Service... rest) {
      return new Options(home, persistent, EnumSet.of(first, rest), devstackDir, heapMb, faults, edmApiKey);
    }

    /** The same options with a devstack JVM heap of {@code mb} megabytes. */
    public Options withHeapMb(int mb) {
      return new Options(home, persistent, services, devstackDir, mb, faults, edmApiKey);
    }

    /** The same options with the fault proxy in front of every emulator, passing everything until told otherwise. */
    public Options withFaults() {
      return withFaults(FaultRules.none());
    }

    /** The same options with the fault proxy in front of every emulator, starting with {@code rules}. */
    public Options withFaults(FaultRules rules) {
      return new Options(home, persistent, services, devstackDir, heapMb, Objects.requireNonNull(rules, "rules"),
          edmApiKey);
    }

    /** The same options with the EDM sandbox accepting {@code apiKey} only. */
    public Options withEdmApiKey(String apiKey) {
      return new Options(home, persistent, services, devstackDir, heapMb, faults, apiKey);
    }

    /** Everything but the EDM sandbox's API key. */
    @Override
    public String toString() {
      return "Options[home=" + home + ", persistent=" + persistent + ", services=" + services + ", devstackDir="
          + devstackDir + ", heapMb=" + heapMb + ", faults=" + faults + ", edmApiKey=(hidden)]";
    }
  }

  private static DevStack shared;

  private final Options options;
  private final Endpoints endpoints;
  private final Faults faults;
  private final Process process;
  private final Path logFile;
  private boolean closed;

  private DevStack(Options options, Endpoints endpoints, Faults faults, Process process, Path logFile) {
    this.options = options;
    this.endpoints = endpoints;
    this.faults = faults;
    this.process = process;
    this.logFile = logFile;
  }

  /**
   * Starts the devstack JVM and blocks until every requested emulator answers (at most 120 s).
   *
   * @throws IllegalStateException with the tail of the failing log if something does not start
   */
  public static DevStack start(Options options) {
    Instant t0 = Instant.now();
    Path home = options.home();
    Path logs = home.resolve("logs");
    Path devstackLog = logs.resolve("devstack.log");
    try {
      Files.createDirectories(logs);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + logs, e);
    }
    if (options.services().stream().anyMatch(Service::runsOnNode)) {
      ensureNodeModules(options.devstackDir());
    }

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + options.heapMb() + "m");
    cmd.add("-cp");
    cmd.add(absoluteClassPath(System.getProperty("java.class.path")));
    cmd.add(DevStackMain.class.getName());
    cmd.add("--home");
    cmd.add(home.toString());
    if (options.persistent()) {
      cmd.add("--persistent");
    }
    cmd.add("--services");
    cmd.add(options.services().stream().map(Enum::name).collect(Collectors.joining(",")));
    cmd.add("--parent-pid");
    cmd.add(Long.toString(ProcessHandle.current().pid()));
    cmd.add("--devstack-dir");
    cmd.add(options.devstackDir().toString());
    if (options.faults() != null) {
      cmd.add(DevStackMain.FAULTS_FLAG);
    }

    Process p;
    try {
      ProcessBuilder builder = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true);
      // in the environment, not on the command line, where any process list would show it
      builder.environment().put(DevStackMain.EDM_API_KEY_ENV, options.edmApiKey());
      p = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the devstack JVM: " + String.join(" ", cmd), e);
    }
    CompletableFuture<Path> ready = pumpOutput(p, devstackLog);
    Path endpointsFile;
    try {
      endpointsFile = ready.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      stopProcess(p, Duration.ofSeconds(10));
      throw new IllegalStateException("devstack did not start within " + START_TIMEOUT.toSeconds() + " s; tail of "
          + devstackLog + ":\n" + Support.tail(devstackLog, 60));
    } catch (ExecutionException e) {
      stopProcess(p, Duration.ofSeconds(10));
      throw new IllegalStateException(e.getCause().getMessage() + "; tail of " + devstackLog + ":\n"
          + Support.tail(devstackLog, 60), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopProcess(p, Duration.ofSeconds(10));
      throw new IllegalStateException("interrupted while starting the devstack", e);
    }
    Endpoints endpoints = Endpoints.read(endpointsFile);
    Faults faults = null;
    if (options.faults() != null) {
      try {
        faults = Faults.at(Endpoints.faultControl(endpointsFile));
        if (!options.faults().services().isEmpty()) {
          faults.set(options.faults());
        }
      } catch (RuntimeException e) {
        stopProcess(p, Duration.ofSeconds(10));
        throw new IllegalStateException("the devstack's fault proxy did not take its first rules: " + e.getMessage(), e);
      }
    }
    log.info("devstack up in {} ms under {}: {}{}", Duration.between(t0, Instant.now()).toMillis(), home, endpoints,
        faults == null ? "" : " (through the fault proxy, control " + faults.endpoint() + ")");
    return new DevStack(options, endpoints, faults, p, devstackLog);
  }

  /** The class path with every entry made absolute: the devstack JVM runs in another working directory. */
  static String absoluteClassPath(String classPath) {
    return Arrays.stream(classPath.split(java.io.File.pathSeparator))
        .filter(entry -> !entry.isEmpty())
        .map(entry -> entry.endsWith("*") ? entry : Path.of(entry).toAbsolutePath().normalize().toString())
        .collect(Collectors.joining(java.io.File.pathSeparator));
  }

  /** Copies the child's output into the log and completes with the endpoints.json path on the READY line. */
  private static CompletableFuture<Path> pumpOutput(Process p, Path logFile) {
    CompletableFuture<Path> ready = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
          BufferedWriter out = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8,
              StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        String line;
        while ((line = in.readLine()) != null) {
          out.write(line);
          out.newLine();
          out.flush();
          if (line.startsWith(READY_PREFIX)) {
            ready.complete(Path.of(line.substring(READY_PREFIX.length()).trim()));
          } else if (line.startsWith(FAILED_PREFIX)) {
            ready.completeExceptionally(new IllegalStateException(
                "devstack failed to start: " + line.substring(FAILED_PREFIX.length())));
          }
        }
      } catch (IOException e) {
        ready.completeExceptionally(new IllegalStateException("lost the devstack JVM's output: " + e, e));
      }
      if (!ready.isDone()) {
        int exit = -1;
        try {
          exit = p.waitFor();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        ready.completeExceptionally(new IllegalStateException(
            "the devstack JVM exited with code " + exit + " before it was ready"));
      }
    }, "devstack-output-" + p.pid());
    t.setDaemon(true);
    t.start();
    return ready;
  }

  /** The endpoints of the running emulators. */
  public Endpoints endpoints() {
    return endpoints;
  }

  /**
   * The fault proxy's rules, changeable at run time.
   *
   * @throws IllegalStateException when this devstack runs without the proxy ({@link Options#withFaults()})
   */
  public Faults faults() {
    if (faults == null) {
      throw new IllegalStateException("this devstack runs without the fault proxy: start it with Options.withFaults()");
    }
    return faults;
  }

  /**
   * The client of the EDM sandbox's control API (scripted failures, what it imported).
   *
   * @throws IllegalStateException when this devstack runs no EDM sandbox
   */
  public EdmSandboxClient edmSandbox() {
    if (endpoints.edm() == null) {
      throw new IllegalStateException("this devstack runs no EDM sandbox");
    }
    return EdmSandboxClient.at(endpoints.edm());
  }

  /** The options this devstack was started with. */
  public Options options() {
    return options;
  }

  /**
   * One transient devstack with every service for this JVM (tests), started on first use under
   * {@code target/devstack-<pid>} and stopped by a JVM shutdown hook.
   */
  public static synchronized DevStack shared() {
    if (shared == null) {
      Path home = Path.of("target", "devstack-" + ProcessHandle.current().pid()).toAbsolutePath();
      DevStack started = start(Options.transientIn(home));
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "devstack-shared-stop"));
      shared = started;
    }
    return shared;
  }

  /**
   * The devstack/ folder holding package.json: system property {@code audience.devstack.dir}, else environment
   * variable {@code AUDIENCE_DEVSTACK_DIR}, else the first {@code devstack/package.json} found walking up from the
   * working directory.
   */
  public static Path locateDir() {
    String configured = System.getProperty("audience.devstack.dir");
    String source = "system property audience.devstack.dir";
    if (configured == null || configured.isBlank()) {
      configured = System.getenv("AUDIENCE_DEVSTACK_DIR");
      source = "environment variable AUDIENCE_DEVSTACK_DIR";
    }
    if (configured != null && !configured.isBlank()) {
      Path dir = Path.of(configured).toAbsolutePath().normalize();
      if (!Files.isRegularFile(dir.resolve("package.json"))) {
        throw new IllegalStateException(source + " names " + dir + ", which has no package.json");
      }
      return dir;
    }
    Path cwd = Path.of("").toAbsolutePath().normalize();
    for (Path d = cwd; d != null; d = d.getParent()) {
      Path candidate = d.resolve("devstack");
      if (Files.isRegularFile(candidate.resolve("package.json"))) {
        return candidate;
      }
    }
    throw new IllegalStateException("cannot find the devstack folder: no devstack/package.json in " + cwd
        + " or above; set -Daudience.devstack.dir or AUDIENCE_DEVSTACK_DIR");
  }

  /**
   * Installs the node emulators: runs {@code npm ci --no-audit --no-fund} (falling back to {@code npm install})
   * in {@code devstackDir} if node_modules is missing or older than package-lock.json. Output goes to
   * {@code devstackDir/target/npm-install.log}. Serialised across JVMs with a file lock.
   *
   * @throws IllegalStateException if npm is missing or fails
   */
  public static void ensureNodeModules(Path devstackDir) {
    Path dir = devstackDir.toAbsolutePath().normalize();
    if (upToDate(dir)) {
      return;
    }
    Path target = dir.resolve("target");
    Path npmLog = target.resolve("npm-install.log");
    try {
      Files.createDirectories(target);
      try (FileChannel ch = FileChannel.open(target.resolve("npm-install.lock"),
              StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = ch.lock()) {
        if (upToDate(dir)) {
          return; // another JVM installed while we waited
        }
        log.info("installing node emulators in {} (log: {})", dir, npmLog);
        Files.deleteIfExists(npmLog);
        int code = runNpm(dir, npmLog, "ci");
        if (code != 0) {
          log.warn("npm ci failed with exit code {}; trying npm install", code);
          code = runNpm(dir, npmLog, "install");
        }
        if (code != 0) {
          throw new IllegalStateException("npm failed (exit code " + code + ") in " + dir + "; see " + npmLog
              + ":\n" + Support.tail(npmLog, 40));
        }
        Path nodeModules = dir.resolve("node_modules");
        if (!Files.isDirectory(nodeModules)) {
          throw new IllegalStateException("npm succeeded but " + nodeModules + " is missing; see " + npmLog);
        }
        Files.setLastModifiedTime(nodeModules, FileTime.from(Instant.now()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot install the node emulators in " + dir, e);
    }
  }

  private static boolean upToDate(Path dir) {
    Path nodeModules = dir.resolve("node_modules");
    Path lock = dir.resolve("package-lock.json");
    if (!Files.isDirectory(nodeModules)) {
      return false;
    }
    if (!Files.isRegularFile(lock)) {
      return true;
    }
    try {
      return Files.getLastModifiedTime(nodeModules).compareTo(Files.getLastModifiedTime(lock)) >= 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static int runNpm(Path dir, Path npmLog, String command) {
    List<String> cmd = Arrays.asList("npm", command, "--no-audit", "--no-fund");
    try {
      Files.writeString(npmLog, "$ " + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      Process p = new ProcessBuilder(cmd)
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(npmLog.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(nullFile()))
          .start();
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException("npm " + command + " took more than 10 minutes in " + dir + "; see " + npmLog);
      }
      return p.exitValue();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run npm (is Node.js >= 20 with npm on the PATH?): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running npm " + command, e);
    }
  }

  private static java.io.File nullFile() {
    return new java.io.File(System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("windows")
        ? "NUL" : "/dev/null");
  }

  /** Stops every emulator and waits for the devstack JVM (and its node processes) to exit. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopProcess(process, Duration.ofSeconds(45));
    log.info("devstack under {} stopped (log: {})", options.home(), logFile);
  }

  /**
   * Asks the devstack JVM to stop (stdin EOF), then SIGTERM, then SIGKILL; kills any node process it leaves.
   */
  private static void stopProcess(Process p, Duration grace) {
    List<ProcessHandle> descendants = p.descendants().toList();
    try {
      p.getOutputStream().close(); // EOF on its stdin: clean shutdown
    } catch (IOException ignored) {
      // already gone
    }
    if (!Support.waitFor(p.toHandle(), grace)) {
      log.warn("devstack JVM {} did not stop within {} s; sending SIGTERM", p.pid(), grace.toSeconds());
      p.destroy();
      if (!Support.waitFor(p.toHandle(), Duration.ofSeconds(10))) {
        p.destroyForcibly();
        Support.waitFor(p.toHandle(), Duration.ofSeconds(5));
      }
    }
    for (ProcessHandle d : descendants) {
      if (d.isAlive()) {
        log.warn("killing leftover devstack process {} {}", d.pid(), d.info().command().orElse(""));
        d.destroyForcibly();
        Support.waitFor(d, Duration.ofSeconds(5));
      }
    }
  }
}
