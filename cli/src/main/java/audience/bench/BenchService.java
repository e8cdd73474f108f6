package audience.bench;

import audience.local.ServiceProcess;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A benchmark's service node: its own JVM ({@link ServiceProcess}, logging to {@code logs/service-1.log} of the
 * devstack's home) with its heap sampled from the start ({@link JvmSampler}), and how long it took to be healthy.
 */
record BenchService(ServiceProcess process, JvmSampler jvm, long startMs) implements AutoCloseable {
  static BenchService start(Path devstackHome, Map<String, String> properties, String heap)
      throws IOException, InterruptedException {
    long s0 = System.nanoTime();
    Path log = devstackHome.resolve("logs").resolve("service-1.log");
    ServiceProcess service = ServiceProcess.start(devstackHome, properties, heap, log);
    long startMs = IngestBenchmark.millisSince(s0);
    Progress.log("service pid %d on %s (log %s)", service.pid(), service.url(), log);
    return new BenchService(service, new JvmSampler(service::url).start(), startMs);
  }

  String url() {
    return process.url();
  }

  @Override
  public void close() throws InterruptedException {
    jvm.close();
    process.close();
  }
}
