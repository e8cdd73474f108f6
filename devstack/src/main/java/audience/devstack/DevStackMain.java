package audience.devstack;

import audience.devstack.DevStack.Endpoints;
import audience.devstack.DevStack.Service;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devstack JVM: starts the requested {@link Emulator}s (S3Proxy and ElasticMQ in-process; dynalite,
 * kinesis-local and the SNS launcher as node processes), waits until each answers, and stops them.
 *
 * <pre>
 * DevStackMain --home H [--persistent] [--services S3,SQS,...] [--parent-pid PID] --devstack-dir D [--faults]
 * </pre>
 *
 * <p>With {@code --faults} a {@link FaultProxy} listens in front of each emulator and the endpoints are the
 * proxies' (the emulators take other ports); the rules start empty and change through the control endpoint
 * ({@link FaultControl}), named {@code faults} in endpoints.json.
 *
 * <p>It also serves the EDM sandbox ({@link EdmSandbox}, named {@code edm} in endpoints.json), whose API key comes
 * from the environment variable {@value #EDM_API_KEY_ENV} (else {@link DevStack.Options#DEFAULT_EDM_API_KEY}).
 *
 * <p>Picks free ports outside the ephemeral range ({@link Ports}; in persistent mode it reuses the ports of
 * {@code H/endpoints.json} when they are free), moves an emulator to another port when its bind fails, waits until
 * every emulator answers, writes {@code H/endpoints.json} and prints {@code DEVSTACK READY <path>}. With
 * {@code --parent-pid} it stops when that process exits or its stdin reaches EOF; it always stops cleanly on
 * SIGTERM/SIGINT, and exits 0 after a clean stop.
 */
public final class DevStackMain {
  private static final Logger log = LoggerFactory.getLogger(DevStackMain.class);

  /** Puts a fault proxy in front of every emulator. */
  static final String FAULTS_FLAG = "--faults";
  /** The EDM sandbox's API key, from the environment (never on the command line); else the default local key. */
  static final String EDM_API_KEY_ENV = "AUDIENCE_EDM_SANDBOX_API_KEY";

  private final Layout layout;
  private final Set<Service> services;
  private final List<Emulator> emulators;
  private final boolean faults;
  private final FaultState faultState = new FaultState();
  private final List<FaultProxy> proxies = new ArrayList<>();
  private FaultControl faultControl;
  private EdmSandbox edmSandbox;
  private final AtomicBoolean stopped = new AtomicBoolean();
  /** Exit status once stopped: 0 after a clean stop (also on SIGTERM), 1 when starting failed. */
  private static volatile int exitStatus;
  private FileChannel homeLockChannel;

  private DevStackMain(Layout layout, Set<Service> services, boolean faults) {
    this.layout = layout;
    this.services = services;
    this.emulators = emulators(services, layout);
    this.faults = faults;
  }

  /**
   * The requested emulators in start order: the node processes first, as they take longest to come up (the
   * in-process servers start meanwhile); SNS after SQS, whose endpoint it is given for deliveries.
   */
  static List<Emulator> emulators(Set<Service> services, Layout layout) {
    SqsEmulator sqs = new SqsEmulator(layout);
    Supplier<URI> sqsEndpoint = () -> services.contains(Service.SQS) ? sqs.endpoint() : null;
    return Stream.of(new DynamoEmulator(layout), new KinesisEmulator(layout), new S3Emulator(layout), sqs,
            new SnsEmulator(layout, sqsEndpoint))
        .filter(e -> services.contains(e.service()))
        .toList();
  }

  public static void main(String[] args) {
    Path home = null;
    boolean persistent = false;
    Set<Service> services = EnumSet.allOf(Service.class);
    Long parentPid = null;
    Path devstackDir = null;
    boolean faults = false;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--home" -> home = Path.of(value(args, ++i)).toAbsolutePath().normalize();
          case "--persistent" -> persistent = true;
          case "--services" -> {
            services = EnumSet.noneOf(Service.class);
            for (String s : value(args, ++i).split(",")) {
              if (!s.isBlank()) {
                services.add(Service.valueOf(s.trim().toUpperCase(Locale.ROOT)));
              }
            }
          }
          case "--parent-pid" -> parentPid = Long.parseLong(value(args, ++i));
          case "--devstack-dir" -> devstackDir = Path.of(value(args, ++i)).toAbsolutePath().normalize();
          case FAULTS_FLAG -> faults = true;
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
          + " [--parent-pid PID] --devstack-dir D [" + FAULTS_FLAG + "]");
      System.out.println(DevStack.FAILED_PREFIX + e.getMessage());
      System.exit(2);
      return;
    }

    DevStackMain main = new DevStackMain(new Layout(home, persistent, devstackDir), services, faults);
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
    Files.createDirectories(layout.logs());
    lockHome();
    if (services.stream().anyMatch(Service::runsOnNode)) {
      DevStack.ensureNodeModules(layout.devstackDir());
    }
    Path endpointsFile = layout.endpointsFile();
    // the ports clients use: the emulators', or with faults the proxies' (the emulators then take fresh ones)
    Map<Service, Integer> ports = choosePorts(endpointsFile);
    Map<Service, Integer> emulatorPorts = new EnumMap<>(Service.class);
    for (Service s : services) {
      emulatorPorts.put(s, faults ? Ports.pick() : ports.get(s));
    }
    log.info("starting {} under {} ({}) on ports {}{}", services, layout.home(),
        layout.persistent() ? "persistent" : "transient", emulatorPorts,
        faults ? ", behind fault proxies on ports " + ports : "");
    EmulatorLauncher launcher = new EmulatorLauncher();
    for (Emulator e : emulators) {
      launcher.start(e, emulatorPorts.get(e.service()));
    }
    for (Emulator e : emulators) {
      launcher.awaitReady(e);
    }
    Map<String, String> extra = new LinkedHashMap<>();
    if (faults) {
      startFaultProxies(ports);
      extra.put(Endpoints.FAULTS_KEY, faultControl.endpoint().toString());
    }
    edmSandbox = EdmSandbox.start(edmApiKey(), edmPort(endpointsFile));
    Endpoints endpoints = new Endpoints(
        endpoint(Service.S3), endpoint(Service.DYNAMODB), endpoint(Service.KINESIS), endpoint(Service.SNS),
        endpoint(Service.SQS), DevStack.REGION, DevStack.ACCESS_KEY, DevStack.SECRET_KEY, edmSandbox.endpoint());
    endpoints.write(endpointsFile, extra);
    log.info("devstack ready in {} ms: {}{}", Duration.between(t0, Instant.now()).toMillis(), endpoints,
        faults ? " (fault proxies; control " + faultControl.endpoint() + ")" : "");
    return endpointsFile;
  }

  /**
   * The control endpoint, then one proxy per emulator on its client port, or on another when that one is taken
   * (as {@link EmulatorLauncher} does for an emulator).
   */
  private void startFaultProxies(Map<Service, Integer> ports) throws IOException {
    faultControl = FaultControl.start(faultState);
    for (Emulator e : emulators) {
      int port = ports.get(e.service());
      for (int attempt = 1; ; attempt++) {
        try {
          proxies.add(FaultProxy.start(e.service(), port, e.endpoint(), faultState));
          break;
        } catch (BindException taken) {
          if (attempt >= EmulatorLauncher.MAX_PORT_ATTEMPTS) {
            throw new IllegalStateException("the " + e.name() + " fault proxy could not bind any of " + attempt
                + " ports; the last: " + port, taken);
          }
          int next = Ports.pick();
          log.warn("{} fault proxy: port {} is taken; trying {}", e.name(), port, next);
          port = next;
        }
      }
    }
  }

  private static String edmApiKey() {
    String key = System.getenv(EDM_API_KEY_ENV);
    return key == null || key.isBlank() ? DevStack.Options.DEFAULT_EDM_API_KEY : key;
  }

  /** Two devstacks on one home would share data folders and endpoints.json: refuse the second. */
  private void lockHome() throws IOException {
    homeLockChannel = FileChannel.open(layout.home().resolve("devstack.lock"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    if (homeLockChannel.tryLock() == null) {
      homeLockChannel.close();
      homeLockChannel = null;
      throw new IllegalStateException("another devstack is already running with home " + layout.home());
    }
  }

  /** Where clients reach a service: its fault proxy when there is one, else the emulator. */
  private URI endpoint(Service s) {
    for (FaultProxy p : proxies) {
      if (p.service() == s) {
        return p.endpoint();
      }
    }
    return emulators.stream().filter(e -> e.service() == s).findFirst().map(Emulator::endpoint).orElse(null);
  }

  /**
   * The first port of each emulator: in persistent mode the previous run's port when it is still free, else a fresh
   * one from {@link Ports}.
   */
  private Map<Service, Integer> choosePorts(Path endpointsFile) {
    Map<Service, Integer> ports = new EnumMap<>(Service.class);
    // Remembered ports are claimed before any fresh pick, so that no fresh pick takes one of them.
    rememberedPorts(endpointsFile).forEach((s, port) -> {
      if (Ports.claim(port)) {
        ports.put(s, port);
      } else {
        log.info("{} port {} of the previous run is taken; using a new one", s, port);
      }
    });
    for (Service s : services) {
      ports.computeIfAbsent(s, unused -> Ports.pick());
    }
    return ports;
  }

  /** The EDM sandbox's port: the previous run's (persistent mode) when it is free, else a fresh one. */
  private int edmPort(Path endpointsFile) {
    if (layout.persistent() && Files.isRegularFile(endpointsFile)) {
      try {
        URI old = Endpoints.read(endpointsFile).edm();
        if (old != null && old.getPort() > 0 && Ports.claim(old.getPort())) return old.getPort();
      } catch (RuntimeException e) {
        log.info("previous endpoints unreadable ({}); the EDM sandbox takes a new port", e.toString());
      }
    }
    return Ports.pick();
  }

  /** The ports of the previous run (persistent mode only), from its endpoints.json. */
  private Map<Service, Integer> rememberedPorts(Path endpointsFile) {
    Map<Service, Integer> remembered = new EnumMap<>(Service.class);
    if (!layout.persistent() || !Files.isRegularFile(endpointsFile)) {
      return remembered;
    }
    try {
      Endpoints old = Endpoints.read(endpointsFile);
      for (Service s : services) {
        URI u = old.endpoint(s);
        if (u != null && u.getPort() > 0) {
          remembered.put(s, u.getPort());
        }
      }
    } catch (RuntimeException e) {
      log.warn("ignoring unreadable {}: {}", endpointsFile, e.toString());
    }
    return remembered;
  }

  private void shutdownHook() {
    stopAll();
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(exitStatus); // a clean stop exits 0, also on SIGTERM
  }

  /** Stops every emulator, all at once (a node emulator may take its grace period). Idempotent. */
  private void stopAll() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    proxies.forEach(FaultProxy::close);
    if (faultControl != null) {
      log.info("fault counts at stop: {}", faultState.counts());
      faultControl.close();
    }
    if (edmSandbox != null) {
      edmSandbox.close();
    }
    List<Thread> stopping = new ArrayList<>();
    for (Emulator e : emulators) {
      Thread t = new Thread(e::stop, "devstack-stop-" + e.name());
      t.start();
      stopping.add(t);
    }
    for (Thread t : stopping) {
      try {
        t.join();
      } catch (InterruptedException x) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    log.info("devstack stopped");
  }
}
