package audience.bench;

import audience.aws.AwsClients;
import audience.local.ServiceProcess;
import audience.config.Settings;
import audience.contract.ContractParser;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.store.BatchWriter;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.store.RunAudit;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import me.tongfei.progressbar.ProgressBar;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ./audience bench ingest}: on fresh emulators, generate N files, measure what the emulators can do at
 * most (ceilings) and what a naive ingester does (baselines), then let a service node (its own JVM) ingest the
 * files, follow it, optionally SIGKILL and restart it half way, and read the stores back. The result is one
 * JSON object (see docs/benchmarks.md for every field).
 */
public final class IngestBenchmark {
  /** Where the files go in the raw bucket. */
  public static final String PREFIX = "bench/";
  static final int WRITE_CONCURRENCY = 64;
  static final int SEQUENTIAL_LIMIT = 1_000;
  static final int POOL_LIMIT = 10_000;
  /** Untimed load before each ceiling loop, so that the emulator's request path is compiled when timing starts. */
  static final Duration CEILING_WARM_UP = Duration.ofSeconds(3);
  static final Duration STATUS_POLL = Duration.ofMillis(250);
  static final Duration STALL_TIMEOUT = Duration.ofMinutes(5);
  static final Duration DONE_TIMEOUT = Duration.ofSeconds(60);

  /**
   * What to run.
   *
   * @param killAt share of files settled at which the service is SIGKILLed and restarted; null for no kill
   * @param serviceHeap the service JVM's -Xmx, e.g. "512m"
   * @param ceilingTime how long each ceiling loop runs
   * @param serviceProperties system properties (settings overrides) for the service JVM
   */
  public record Options(int files, int badFiles, Double killAt, long seed, String serviceHeap, Duration ceilingTime,
                        Map<String, String> serviceProperties) {
    public Options {
      if (files < 1) throw new IllegalArgumentException("--files must be at least 1");
      if (badFiles < 0 || badFiles > files) throw new IllegalArgumentException("--bad-files must be in 0..files");
      if (killAt != null && !(killAt > 0 && killAt < 1)) throw new IllegalArgumentException("--kill-at must be in (0, 1)");
    }
  }

  /** The JSON result and whether the run counts as passed (completed, done event seen, nothing lost). */
  public record Outcome(ObjectNode json, boolean ok) {}

  private final Options o;
  private final Path devstackHome;
  private final Settings settings;
  private final ObjectMapper json = new ObjectMapper();
  private final OpsHttp http = new OpsHttp();
  private final String stamp = Long.toString(System.currentTimeMillis());
  private volatile ServiceProcess service;
  private int serviceStarts;

  /**
   * @param devstackHome the running devstack's home (holds endpoints.json), handed to the service JVM
   * @param settings the bench JVM's settings, pointing at that devstack (the service loads the same ones)
   */
  public IngestBenchmark(Options options, Path devstackHome, Settings settings) {
    this.o = options;
    this.devstackHome = devstackHome;
    this.settings = settings;
  }

  public Outcome run() throws Exception {
    ObjectNode out = json.createObjectNode();
    out.put("files", o.files()).put("bad_files", o.badFiles());
    if (o.killAt() != null) out.put("kill_at", o.killAt());
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      return run(aws, out);
    } finally {
      ServiceProcess s = service;
      if (s != null) s.close();
    }
  }

  private Outcome run(AwsClients aws, ObjectNode out) throws Exception {
    String bucket = settings.resources().rawBucket();
    var ingestion = settings.ingestion();
    ContractParser parser = new ContractParser(ingestion.maxFileBytes());

    // 1. data set
    GeneratorSpec spec = new GeneratorSpec(o.files(), o.badFiles(), o.seed(), bucket, PREFIX, 0.1);
    DatasetGenerator generator = new DatasetGenerator(spec);
    long t0 = System.nanoTime();
    GroundTruth truth;
    try (ProgressBar bar = Progress.bar("generate", o.files())) {
      truth = new DatasetWriter().write(aws.s3(), generator, WRITE_CONCURRENCY, bar::stepTo).join();
    }
    out.put("generate_ms", millisSince(t0));
    Progress.log("generated %d files (%d bad) in s3://%s/%s", truth.files(), truth.expectedQuarantined(), bucket, PREFIX);

    // 2. ceilings
    List<String> keys = new ArrayList<>(o.files());
    for (int i = 0; i < o.files(); i++) keys.add(generator.key(i));
    Progress.log("S3 GET ceiling: %d in flight for %ds after %ds of warm-up...", Ceilings.GET_IN_FLIGHT,
        o.ceilingTime().toSeconds(), CEILING_WARM_UP.toSeconds());
    Ceilings.s3Get(aws.s3(), bucket, keys, Ceilings.GET_IN_FLIGHT, CEILING_WARM_UP); // JIT of the GET path
    Ceilings.Rate get = Ceilings.s3Get(aws.s3(), bucket, keys, Ceilings.GET_IN_FLIGHT, o.ceilingTime());
    keys = null;
    Progress.log("  %.0f GET/s (%d errors)", get.perSecond(), get.errors());
    String scratch = "bench-scratch-" + stamp;
    BenchTables.createScratch(aws.dynamo(), scratch);
    Progress.log("DynamoDB BatchWriteItem ceiling: %d x 25 items of ~1 KB in flight for %ds after %ds of warm-up...",
        Ceilings.WRITE_IN_FLIGHT, o.ceilingTime().toSeconds(), CEILING_WARM_UP.toSeconds());
    Ceilings.ddbBatchWrite(aws.dynamo(), scratch, Ceilings.WRITE_IN_FLIGHT, CEILING_WARM_UP);
    Ceilings.Rate ddb = Ceilings.ddbBatchWrite(aws.dynamo(), scratch, Ceilings.WRITE_IN_FLIGHT, o.ceilingTime());
    BenchTables.drop(aws.dynamo(), scratch);
    Progress.log("  %.0f items/s (%d errors)", ddb.perSecond(), ddb.errors());

    // 3. baselines
    String seqTable = "bench-baseline-sequential-" + stamp;
    BenchTables.createMembersLike(aws.dynamo(), seqTable);
    Baselines.Result seq = Baselines.sequential(aws.s3(), aws.dynamo(), parser, bucket, PREFIX,
        Math.min(o.files(), SEQUENTIAL_LIMIT), seqTable);
    BenchTables.drop(aws.dynamo(), seqTable);
    Progress.log("sequential baseline: %d files, %.1f files/s", seq.files(), seq.filesPerSecond());
    int concurrency = ingestion.maxChunksInFlight() * ingestion.fileParallelism();
    String poolTable = "bench-baseline-pool-" + stamp;
    BenchTables.createMembersLike(aws.dynamo(), poolTable);
    Baselines.Result pool = Baselines.pool(aws.s3(), aws.dynamo(), parser, bucket, PREFIX,
        Math.min(o.files(), POOL_LIMIT), poolTable, concurrency);
    BenchTables.drop(aws.dynamo(), poolTable);
    Progress.log("pool baseline: %d files, %d threads, %.1f files/s", pool.files(), concurrency, pool.filesPerSecond());

    // 4. the service
    CpuMeter cpu = new CpuMeter();
    long s0 = System.nanoTime();
    service = startService();
    out.put("service_start_ms", millisSince(s0));
    Progress.log("service pid %d on %s (log %s)", service.pid(), service.url(), serviceLog(serviceStarts));

    String uploadId = "bench-" + stamp;
    ObjectNode trigger = json.createObjectNode().put("bucket", bucket).put("prefix", PREFIX)
        .put("expectedFiles", o.files()).put("uploadId", uploadId);
    Follow follow;
    Optional<DoneWatcher.Received> done;
    Instant posted;
    String runId;
    try (DoneWatcher watcher = DoneWatcher.start(aws.sqs(), aws.sns(), settings.resources().notificationsTopic(),
             "bench-done-" + stamp);
         JvmSampler jvm = new JvmSampler(() -> service.url()).start()) {
      cpu.mark();
      posted = Instant.now();
      OpsHttp.Reply started = http.post(service.url() + "/ops/ingestions", trigger.toString());
      if (!started.ok()) throw new IllegalStateException("POST /ops/ingestions: " + started.status() + " " + started.body());
      runId = started.body().path("runId").asText();
      Progress.log("run %s started", runId);

      follow = follow(runId, cpu);
      cpu.sample();
      done = follow.completed() ? watcher.await(runId, DONE_TIMEOUT) : Optional.empty();
      jvm.sample();
      out.put("run_id", runId).put("state", follow.state());
      putIngest(out, follow, done, posted);
      out.put("peak_heap_mb", jvm.peakMb()).put("heap_after_gc_mb_max", jvm.afterGcMb())
          .put("service_xmx_mb", xmxMb(o.serviceHeap())).put("jvm_samples", jvm.samples());
    }
    out.putPOJO("processes_during_ingest", cpu.report());

    // 5. read the stores back
    long a0 = System.nanoTime();
    var deps = settings.resources();
    BatchWriter writer = new BatchWriter(aws.dynamo(), ingestion.retry());
    RunAudit.Result audit = RunAudit.audit(aws.s3(), aws.dynamo(),
        new MemberStore(aws.dynamo(), deps.membersTable(), writer),
        new QuarantineStore(aws.dynamo(), deps.quarantineTable(), writer), bucket, PREFIX, runId);
    out.put("audit_ms", millisSince(a0));
    out.put("listed", audit.listed()).put("ingested", audit.ingested()).put("quarantined", audit.quarantined())
        .put("lost", audit.lost()).put("doubled", audit.doubled());
    if (!audit.lostSample().isEmpty()) out.putPOJO("lost_sample", audit.lostSample());
    boolean matchesTruth = audit.listed() == truth.files() && audit.ingested() == truth.expectedValidFiles()
        && audit.quarantined() == truth.expectedQuarantined();
    out.put("expected_ingested", truth.expectedValidFiles()).put("expected_quarantined", truth.expectedQuarantined())
        .put("matches_ground_truth", matchesTruth);

    // 6. comparison figures
    out.put("baseline_sequential_files_per_s", round(seq.filesPerSecond()))
        .put("baseline_sequential_files", seq.files())
        .put("baseline_pool_files_per_s", round(pool.filesPerSecond()))
        .put("baseline_pool_files", pool.files())
        .put("baseline_pool_concurrency", concurrency)
        .put("s3_get_ceiling_per_s", round(get.perSecond()))
        .put("ddb_write_ceiling_items_per_s", round(ddb.perSecond()));
    double rate = out.path("files_per_s").asDouble(0);
    double latency = out.path("done_latency_ms").asDouble(Double.MAX_VALUE);
    double ceiling = Math.min(get.perSecond(), ddb.perSecond());
    ObjectNode targets = out.putObject("targets");
    targets.put("lost_zero", audit.lost() == 0)
        .put("done_latency_under_1s", latency < 1000)
        .put("vs_pool_1_2x", rate >= 1.2 * pool.filesPerSecond())
        .put("vs_sequential_10x", rate >= 10 * seq.filesPerSecond())
        .put("vs_ceiling_0_6x", rate >= 0.6 * ceiling)
        .put("peak_heap_under_512mb", jvm(out) < 512);
    out.put("rate_vs_pool", round(rate / Math.max(pool.filesPerSecond(), 1e-9)))
        .put("rate_vs_sequential", round(rate / Math.max(seq.filesPerSecond(), 1e-9)))
        .put("rate_vs_ceiling", Math.round(rate / Math.max(ceiling, 1e-9) * 100) / 100.0);
    boolean ok = follow.completed() && done.isPresent() && audit.lost() == 0;
    out.put("ok", ok);
    return new Outcome(ordered(out), ok);
  }

  /** The headline figures first, in the order of the issue, then everything else as it was added. */
  private ObjectNode ordered(ObjectNode in) {
    ObjectNode out = json.createObjectNode();
    for (String f : HEADLINE) {
      if (in.has(f)) out.set(f, in.get(f));
    }
    in.fields().forEachRemaining(e -> {
      if (!out.has(e.getKey())) out.set(e.getKey(), e.getValue());
    });
    return out;
  }

  private static final List<String> HEADLINE = List.of("files", "bad_files", "kill_at", "ingested", "quarantined",
      "lost", "files_per_s", "done_latency_ms", "done_persist_latency_ms", "peak_heap_mb", "heap_after_gc_mb_max",
      "service_xmx_mb", "baseline_sequential_files_per_s", "baseline_pool_files_per_s", "s3_get_ceiling_per_s",
      "ddb_write_ceiling_items_per_s", "killed_at_settled", "restart_ms", "targets", "ok");

  private static long jvm(ObjectNode out) {
    long peak = out.path("peak_heap_mb").asLong(-1);
    return peak < 0 ? Long.MAX_VALUE : peak;
  }

  private void putIngest(ObjectNode out, Follow f, Optional<DoneWatcher.Received> done, Instant posted) {
    Instant completedAt = done.map(d -> d.instant("completedAt")).orElse(f.completedAt());
    if (completedAt != null) {
      long ms = Duration.between(posted, completedAt).toMillis();
      out.put("ingest_ms", ms).put("files_per_s", round(o.files() * 1000.0 / Math.max(ms, 1)));
    } else {
      out.putNull("ingest_ms").putNull("files_per_s");
    }
    if (done.isPresent()) {
      Instant settled = done.get().instant("lastFileSettledAt");
      out.put("done_latency_ms", settled == null ? null : Duration.between(settled, done.get().receivedAt()).toMillis());
      out.put("done_persist_latency_ms", settled == null || completedAt == null ? null
          : Duration.between(settled, completedAt).toMillis());
      out.put("done_publish_to_receive_ms", completedAt == null ? null
          : Duration.between(completedAt, done.get().receivedAt()).toMillis());
      String warning = done.get().event().path("warning").asText("");
      if (!warning.isEmpty() && !warning.equals("null")) out.put("warning", warning);
    } else {
      out.putNull("done_latency_ms").putNull("done_persist_latency_ms");
      out.put("done_event", "not received");
    }
    out.put("status_settled", f.settled()).put("status_ingested", f.ingested())
        .put("status_quarantined", f.quarantined());
    if (f.killedAtSettled() >= 0) {
      out.put("killed_at_settled", f.killedAtSettled()).put("restart_ms", f.restartMs());
    }
  }

  /** What following the run ended with. */
  private record Follow(String state, long settled, long ingested, long quarantined, Instant completedAt,
                        long killedAtSettled, long restartMs) {
    boolean completed() {
      return state.equals("completed");
    }
  }

  /** Polls the run's status until it ends or stalls; kills and restarts the service once when asked. */
  private Follow follow(String runId, CpuMeter cpu) throws IOException, InterruptedException {
    long killAtFiles = o.killAt() == null ? -1 : (long) Math.ceil(o.killAt() * o.files());
    long killedAt = -1;
    long restartMs = -1;
    long lastSettled = -1;
    long lastChange = System.nanoTime();
    JsonNode status = null;
    try (ProgressBar bar = Progress.bar("ingest", o.files())) {
      while (true) {
        try {
          OpsHttp.Reply r = http.get(service.url() + "/ops/ingestions/" + runId);
          if (r.ok()) status = r.body();
        } catch (IOException notNow) {
          // the service is busy restarting: look again
        }
        cpu.sample();
        if (status != null) {
          long settled = status.path("settled").asLong();
          bar.stepTo(settled);
          bar.setExtraMessage("quarantined " + status.path("quarantined").asLong());
          if (settled != lastSettled) {
            lastSettled = settled;
            lastChange = System.nanoTime();
          }
          String state = status.path("state").asText();
          if (state.equals("completed") || state.equals("cancelled")) break;
          if (killAtFiles >= 0 && killedAt < 0 && settled >= killAtFiles) {
            killedAt = settled;
            long k0 = System.nanoTime();
            ServiceProcess old = service;
            old.kill();
            Progress.log("SIGKILLed service pid %d at %d settled files; restarting", old.pid(), settled);
            service = startService();
            restartMs = millisSince(k0);
            Progress.log("service restarted as pid %d on %s in %d ms", service.pid(), service.url(), restartMs);
            lastChange = System.nanoTime();
          }
        }
        if (System.nanoTime() - lastChange > STALL_TIMEOUT.toNanos()) {
          Progress.log("no progress for %s: giving up", STALL_TIMEOUT);
          return new Follow("stalled", lastSettled, status == null ? 0 : status.path("ingested").asLong(),
              status == null ? 0 : status.path("quarantined").asLong(), null, killedAt, restartMs);
        }
        Thread.sleep(STATUS_POLL.toMillis()); // polling another process's status
      }
    }
    String completedAt = status.path("completedAt").asText(null);
    return new Follow(status.path("state").asText(), status.path("settled").asLong(), status.path("ingested").asLong(),
        status.path("quarantined").asLong(),
        completedAt == null || completedAt.equals("null") ? null : Instant.parse(completedAt), killedAt, restartMs);
  }

  private ServiceProcess startService() throws IOException, InterruptedException {
    serviceStarts++;
    return ServiceProcess.start(devstackHome, o.serviceProperties(), o.serviceHeap(),
        serviceLog(serviceStarts));
  }

  private Path serviceLog(int n) {
    return devstackHome.resolve("logs").resolve("service-" + n + ".log");
  }

  static long xmxMb(String heap) {
    String h = heap.trim().toLowerCase();
    long n = Long.parseLong(h.replaceAll("[kmgt]$", ""));
    return switch (h.charAt(h.length() - 1)) {
      case 'k' -> n / 1024;
      case 'm' -> n;
      case 'g' -> n * 1024;
      case 't' -> n * 1024 * 1024;
      default -> n / (1024 * 1024);
    };
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
