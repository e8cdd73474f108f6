package audience.bench;

import audience.service.ServiceMain;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CPU time of this process and its descendants (the devstack JVM with S3Proxy and ElasticMQ, the node
 * emulators, the service JVM), by role, between a start mark and the last sample: which process is busy while
 * the service ingests. A process that dies (the killed service) keeps its last sampled figure.
 */
final class CpuMeter {
  private final Map<Long, String> roles = new ConcurrentHashMap<>();
  private final Map<Long, Long> last = new ConcurrentHashMap<>();
  private final Map<Long, Long> start = new ConcurrentHashMap<>();
  private long startNanos;
  private long lastNanos;

  /** Samples now and remembers it as the start. */
  synchronized void mark() {
    sample();
    start.clear();
    start.putAll(last);
    startNanos = System.nanoTime();
  }

  /** Reads the CPU time of every live process of the tree. */
  synchronized void sample() {
    read(ProcessHandle.current());
    ProcessHandle.current().descendants().forEach(this::read);
    lastNanos = System.nanoTime();
  }

  private void read(ProcessHandle p) {
    ProcessHandle.Info info = p.info();
    info.totalCpuDuration().ifPresent(cpu -> {
      if (roles.getOrDefault(p.pid(), "other").equals("other")) roles.put(p.pid(), role(p, info));
      last.put(p.pid(), cpu.toNanos());
    });
  }

  private static String role(ProcessHandle p, ProcessHandle.Info info) {
    if (p.pid() == ProcessHandle.current().pid()) return "bench_jvm";
    String cmd = info.commandLine().orElse(info.command().orElse("?"));
    if (cmd.contains("DevStackMain")) return "devstack_jvm";
    if (cmd.contains(ServiceMain.class.getName())) return "service_jvm";
    if (cmd.contains("dynalite") || cmd.contains("dynamodb")) return "dynalite_node";
    if (cmd.contains("kinesis")) return "kinesis_node";
    if (cmd.contains("sns")) return "sns_node";
    return "other";
  }

  /** CPU seconds per role since {@link #mark()}, and the same as a share of one core ("cpu_pct"). */
  synchronized Map<String, Object> report() {
    Map<String, Double> seconds = new TreeMap<>();
    last.forEach((pid, cpu) -> {
      double s = (cpu - start.getOrDefault(pid, 0L)) / 1e9;
      seconds.merge(roles.getOrDefault(pid, "other"), s, Double::sum);
    });
    double wall = Math.max(Duration.ofNanos(lastNanos - startNanos).toMillis(), 1) / 1000.0;
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("wall_s", round(wall));
    Map<String, Object> cpu = new LinkedHashMap<>();
    Map<String, Object> pct = new LinkedHashMap<>();
    seconds.forEach((role, s) -> {
      cpu.put(role, round(s));
      pct.put(role, Math.round(s * 100 / wall));
    });
    out.put("cpu_s", cpu);
    out.put("cpu_pct_of_one_core", pct);
    return out;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
