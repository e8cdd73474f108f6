package audience.bench;

import audience.aws.AwsClients;
import audience.config.Settings;
import audience.contract.ContractParser;
import audience.devstack.FaultRules;
import audience.devstack.Faults;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.local.ServiceProcess;
import audience.service.Guardian;
import audience.store.BatchWriter;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.store.RunAudit;
import audience.store.RunPhase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import me.tongfei.progressbar.ProgressBar;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * {@code ./audience bench ingest}: on fresh emulators, generate N files, measure what the emulators can do at
 * most (ceilings) and what a naive ingester does (baselines), then let a service node (its own JVM) ingest the
 * files, follow it, optionally SIGKILL and restart it half way, and read the stores back. The result is one
 * JSON object (see docs/benchmarks.md for every field).
 */
public final class IngestBenchmark {
  /** Where the files go in the raw bucket. */
  public static final String PREFIX = "bench/";
  /** PUTs in flight while generating: the data set is set-up, not a figure, so it is written as fast as it goes. */
  static final int WRITE_CONCURRENCY = 64;
  /**
   * Files the baselines ingest at most: enough for a steady rate, few enough that the slow baselines do not take
   * longer than the service's run at large N.
   */
  static final int SEQUENTIAL_LIMIT = 1_000;
  static final int POOL_LIMIT = 10_000;
  /** Share of the generated files that are gzipped, so that the service's gunzip path is part of the figures. */
  static final double GZIPPED_SHARE = 0.1;
  /** Untimed load before each ceiling loop, so that the emulator's request path is compiled when timing starts. */
  static final Duration CEILING_WARM_UP = Duration.ofSeconds(3);
  /** Files parsed (twice: once to warm up) to measure what parsing and validating a file alone costs. */
  static final int PARSE_SAMPLE_FILES = 5_000;
  /** How often the run's status is read: often enough for the progress bar and a timely kill. */
  static final Duration STATUS_POLL = Duration.ofMillis(250);
  /** No settled file for this long means the run is stuck: the benchmark gives up rather than wait forever. */
  static final Duration STALL_TIMEOUT = Duration.ofMinutes(5);
  /** How long the done event may take to arrive after the status says completed before it counts as missing. */
  static final Duration DONE_TIMEOUT = Duration.ofSeconds(60);
  /**
   * Of the faults {@code --faults} injects, this share are connection resets, the rest errors in each service's
   * dialect: a reset costs a connection and an SDK retry with backoff, and is rarer than throttling on a real network.
   */
  static final double RESET_SHARE_OF_FAULTS = 0.2;
  /** Names the bench's rule in the fault proxy's logs and counts. */
  static final String FAULT_RULE = "bench";

  /**
   * What to run.
   *
   * @param killAt share of files settled at which the service is SIGKILLed and restarted; null for no kill
   * @param serviceHeap the service JVM's -Xmx, e.g. "512m"
   * @param ceilingTime how long each ceiling loop runs
   * @param serviceProperties system properties (settings overrides) for the service JVM
   * @param devstackHeapMb the -Xmx the caller gave the devstack JVM, reported with the figures
   * @param faults probability that an AWS call of the ceilings, baselines or service fails (see
   *     {@link #RESET_SHARE_OF_FAULTS}); null without the fault proxy
   * @param latencyMs added to each AWS call of the ceilings, baselines and service; null without the fault proxy
   */
  public record Options(int files, int badFiles, Double killAt, long seed, String serviceHeap, Duration ceilingTime,
                        Map<String, String> serviceProperties, int devstackHeapMb, Double faults, Long latencyMs) {
    public Options {
      if (files < 1) throw new IllegalArgumentException("--files must be at least 1");
      if (badFiles < 0 || badFiles > files) throw new IllegalArgumentException("--bad-files must be in 0..files");
      if (killAt != null && !(killAt > 0 && killAt < 1)) throw new IllegalArgumentException("--kill-at must be in (0, 1)");
      if (faults != null && !(faults >= 0 && faults <= 1)) throw new IllegalArgumentException("--faults must be in [0, 1]");
      if (latencyMs != null && latencyMs < 0) throw new IllegalArgumentException("--latency-ms must not be negative");
    }

    /** Whether the AWS calls go through the devstack's fault proxy: when either option is given, even as 0. */
    public boolean faultProxy() {
      return faults != null || latencyMs != null;
    }

    /** The proxy's rules while the ceilings, baselines and service run: the same on every service. */
    FaultRules faultRules() {
      return FaultRules.uniform(seed, FAULT_RULE, latencyMs == null ? 0 : latencyMs, faults == null ? 0 : faults,
          RESET_SHARE_OF_FAULTS);
    }
  }

  /** The JSON result and whether the run counts as passed (completed, done event seen, nothing lost). */
  public record Outcome(ObjectNode json, boolean ok) {}

  private final Options o;
  private final Path devstackHome;
  private final Settings settings;
  private final Optional<Faults> faults;
  private final String bucket;
  private final OpsHttp http = new OpsHttp();
  private final String stamp = Long.toString(System.currentTimeMillis());
  private volatile ServiceProcess service;
  private int serviceStarts;

  /**
   * @param devstackHome the running devstack's home (holds endpoints.json), handed to the service JVM
   * @param settings the bench JVM's settings, pointing at that devstack (the service loads the same ones)
   * @param faults the devstack's fault proxy when {@link Options#faultProxy()}, else empty
   */
  public IngestBenchmark(Options options, Path devstackHome, Settings settings, Optional<Faults> faults) {
    if (options.faultProxy() != faults.isPresent()) {
      throw new IllegalArgumentException("--faults and --latency-ms need a devstack with the fault proxy, and only they");
    }
    this.o = options;
    this.devstackHome = devstackHome;
    this.settings = settings;
    this.faults = faults;
    this.bucket = settings.resources().rawBucket();
  }

  public Outcome run() throws Exception {
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      // the data set and the read-back are set-up and check, compared with nothing: they run without faults
      IngestReport.Dataset dataset = generate(aws);
      weather("the ceilings and baselines");
      IngestReport.CeilingRates ceilings = measureCeilings(aws, dataset.generator());
      IngestReport.BaselineRates baselines = measureBaselines(aws);
      weather("the service"); // again, so that the counts are the service's alone
      IngestReport.Ingest ingest = ingest(aws);
      faults.ifPresent(Faults::clear);
      IngestReport.Audit audit = audit(aws, ingest.runId(), dataset.truth());
      IngestReport report = new IngestReport(o, dataset, ceilings, baselines, ingest, audit);
      return new Outcome(report.toJson(), report.ok());
    } finally {
      ServiceProcess s = service;
      if (s != null) s.close();
    }
  }

  /** Puts the fault proxy's rules in force (and starts its counts afresh) for what follows, if it is there. */
  private void weather(String forWhat) {
    faults.ifPresent(f -> {
      f.set(o.faultRules());
      Progress.log("fault proxy for %s: %s ms added, faults %s (%.0f %% of them resets)", forWhat,
          o.latencyMs() == null ? 0 : o.latencyMs(), o.faults() == null ? 0 : o.faults(), RESET_SHARE_OF_FAULTS * 100);
    });
  }

  /** Phase 1: the data set, written to the raw bucket. */
  private IngestReport.Dataset generate(AwsClients aws) {
    return writeDataset(aws, new GeneratorSpec(o.files(), o.badFiles(), o.seed(), bucket, PREFIX, GZIPPED_SHARE));
  }

  /**
   * Writes the data set of {@code spec} (the generator's default snapshot date) with a progress bar; also what the
   * segments benchmark starts with.
   */
  static IngestReport.Dataset writeDataset(AwsClients aws, GeneratorSpec spec) {
    DatasetGenerator generator = new DatasetGenerator(spec);
    long t0 = System.nanoTime();
    GroundTruth truth;
    try (ProgressBar bar = Progress.bar("generate", spec.files())) {
      truth = new DatasetWriter().write(aws.s3(), generator, WRITE_CONCURRENCY, bar::stepTo).join();
    }
    long generateMs = millisSince(t0);
    Progress.log("generated %d files (%d bad) in s3://%s/%s", truth.files(), truth.expectedQuarantined(),
        spec.bucket(), spec.prefix());
    return new IngestReport.Dataset(generator, truth, generateMs);
  }

  /** Phase 2: what the emulators do at most. */
  private IngestReport.CeilingRates measureCeilings(AwsClients aws, DatasetGenerator generator) throws Exception {
    Ceilings.Rate get = s3GetCeiling(aws, generator);
    Ceilings.Rate write = inTable(aws, "bench-scratch-", BenchTables::createScratch, scratch ->
        warmedUp(String.format("DynamoDB BatchWriteItem ceiling: %d x %d items of ~1 KB in flight",
                Ceilings.WRITE_IN_FLIGHT, Ceilings.BATCH), "items",
            time -> Ceilings.ddbBatchWrite(aws.dynamo(), scratch, Ceilings.WRITE_IN_FLIGHT, time)));
    ContractParser parser = Guardian.contractParser(settings.ingestion(), Clock.systemUTC());
    double parse = Ceilings.parseCpuMsPerFile(i -> generator.file(i).body(), o.files(), PARSE_SAMPLE_FILES,
        body -> parser.parse("floor.json", body));
    Progress.log("  parse and validate alone: %.3f CPU ms per file", parse);
    return new IngestReport.CeilingRates(get, write, parse);
  }

  /** The GET ceiling in a method of its own, so that its list of every key can go before the next loop. */
  private Ceilings.Rate s3GetCeiling(AwsClients aws, DatasetGenerator generator) throws InterruptedException {
    List<String> keys = new ArrayList<>(o.files());
    for (int i = 0; i < o.files(); i++) keys.add(generator.key(i));
    return warmedUp(String.format("S3 GET ceiling: %d in flight", Ceilings.GET_IN_FLIGHT), "GET",
        time -> Ceilings.s3Get(aws.s3(), bucket, keys, Ceilings.GET_IN_FLIGHT, time));
  }

  /** One ceiling loop over a given time. */
  private interface CeilingLoop {
    Ceilings.Rate run(Duration time) throws InterruptedException;
  }

  /** Runs {@code loop} untimed for {@link #CEILING_WARM_UP}, then for the ceiling time, and logs the rate. */
  private Ceilings.Rate warmedUp(String what, String unit, CeilingLoop loop) throws InterruptedException {
    Progress.log("%s for %ds after %ds of warm-up...", what, o.ceilingTime().toSeconds(), CEILING_WARM_UP.toSeconds());
    loop.run(CEILING_WARM_UP);
    Ceilings.Rate rate = loop.run(o.ceilingTime());
    Progress.log("  %.0f %s/s (%d errors)", rate.perSecond(), unit, rate.errors());
    return rate;
  }

  /** Phase 3: the naive ingesters, each into a members-like table of its own. */
  private IngestReport.BaselineRates measureBaselines(AwsClients aws) throws Exception {
    var ingestion = settings.ingestion();
    ContractParser parser = Guardian.contractParser(ingestion, Clock.systemUTC());
    Baselines.Result seq = inTable(aws, "bench-baseline-sequential-", BenchTables::createMembersLike, table ->
        Baselines.sequential(aws.s3(), BenchTables.memberStore(aws.dynamo(), table, settings), parser, bucket, PREFIX,
            Math.min(o.files(), SEQUENTIAL_LIMIT)));
    Progress.log("sequential baseline: %d files, %.1f files/s", seq.files(), seq.filesPerSecond());
    // the pool gets as many threads as the service has requests in flight
    int concurrency = ingestion.maxChunksInFlight() * ingestion.fileParallelism();
    Baselines.Result pool = inTable(aws, "bench-baseline-pool-", BenchTables::createMembersLike, table ->
        Baselines.pool(aws.s3(), BenchTables.memberStore(aws.dynamo(), table, settings), parser, bucket, PREFIX,
            Math.min(o.files(), POOL_LIMIT), concurrency));
    Progress.log("pool baseline: %d files, %d threads, %.1f files/s", pool.files(), concurrency, pool.filesPerSecond());
    return new IngestReport.BaselineRates(seq, pool);
  }

  /** Measures something in a table of its own. */
  private interface InTable<T> {
    T measure(String table) throws Exception;
  }

  /**
   * Runs {@code use} in a new table named {@code prefix} and this run's stamp, then drops the table so that its
   * items do not weigh on the emulator during the phases that follow.
   */
  private <T> T inTable(AwsClients aws, String prefix, BiConsumer<DynamoDbAsyncClient, String> create,
                        InTable<T> use) throws Exception {
    String table = prefix + stamp;
    create.accept(aws.dynamo(), table);
    T result = use.measure(table);
    BenchTables.drop(aws.dynamo(), table);
    return result;
  }

  /** Phases 4 and 5: a service node ingests the files, followed until the end, SIGKILLed half way if asked. */
  private IngestReport.Ingest ingest(AwsClients aws) throws Exception {
    CpuMeter cpu = new CpuMeter();
    long s0 = System.nanoTime();
    service = startService();
    long serviceStartMs = millisSince(s0);
    Progress.log("service pid %d on %s (log %s)", service.pid(), service.url(), serviceLog(serviceStarts));

    try (DoneWatcher watcher = DoneWatcher.start(aws.sqs(), aws.sns(), settings.resources().notificationsTopic(),
             "bench-done-" + stamp);
         JvmSampler jvm = new JvmSampler(() -> service.url()).start()) {
      cpu.mark();
      Instant posted = Instant.now();
      String runId = startRun();
      IngestReport.Follow follow = follow(runId, cpu);
      cpu.sample();
      Optional<DoneWatcher.Received> done = follow.completed() ? watcher.await(runId, DONE_TIMEOUT) : Optional.empty();
      jvm.sample();
      // the done event's completedAt is the service's own; the last status read stands in when no event came
      Instant completedAt = done.map(d -> d.instant("completedAt")).orElse(follow.completedAt());
      return new IngestReport.Ingest(serviceStartMs, runId, follow, IngestReport.millisBetween(posted, completedAt),
          done.map(d -> IngestReport.DoneTimes.of(d, completedAt)),
          new IngestReport.Heap(jvm.peakMb(), jvm.afterGcMb(), xmxMb(o.serviceHeap()), jvm.samples()), cpu.report(),
          faults.map(Faults::counts));
    }
  }

  /** POSTs the ingestion of the data set to the service; returns its run id. */
  private String startRun() throws IOException, InterruptedException {
    return startRun(http, service.url(), bucket, o.files(), "bench-" + stamp);
  }

  /** POSTs the ingestion of {@code files} files under {@link #PREFIX} to the service at {@code url}; its run id. */
  static String startRun(OpsHttp http, String url, String bucket, int files, String uploadId)
      throws IOException, InterruptedException {
    ObjectNode trigger = new ObjectMapper().createObjectNode().put("bucket", bucket).put("prefix", PREFIX)
        .put("expectedFiles", files).put("uploadId", uploadId);
    OpsHttp.Reply started = http.post(url + "/ops/ingestions", trigger.toString());
    if (!started.ok()) throw new IllegalStateException("POST /ops/ingestions: " + started.status() + " " + started.body());
    String runId = started.body().path("runId").asText();
    Progress.log("run %s started", runId);
    return runId;
  }

  /** Polls the run's status until it ends or stalls; kills and restarts the service once when asked. */
  private IngestReport.Follow follow(String runId, CpuMeter cpu) throws IOException, InterruptedException {
    long killAtFiles = o.killAt() == null ? -1 : (long) Math.ceil(o.killAt() * o.files());
    Optional<IngestReport.Kill> kill = Optional.empty();
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
          if (RunPhase.fromWire(state).ended()) break;
          if (killAtFiles >= 0 && kill.isEmpty() && settled >= killAtFiles) {
            kill = Optional.of(killAndRestart(settled));
            lastChange = System.nanoTime();
          }
        }
        if (System.nanoTime() - lastChange > STALL_TIMEOUT.toNanos()) {
          Progress.log("no progress for %s: giving up", STALL_TIMEOUT);
          return IngestReport.Follow.of(status, "stalled", null, kill);
        }
        Thread.sleep(STATUS_POLL.toMillis()); // polling another process's status
      }
    }
    return IngestReport.Follow.of(status, status.path("state").asText(), DoneWatcher.instant(status, "completedAt"),
        kill);
  }

  /** Phase 5, optional: SIGKILLs the service and starts a new one, which wakes the unfinished run by itself. */
  private IngestReport.Kill killAndRestart(long settled) throws IOException, InterruptedException {
    long k0 = System.nanoTime();
    ServiceProcess old = service;
    old.kill();
    Progress.log("SIGKILLed service pid %d at %d settled files; restarting", old.pid(), settled);
    service = startService();
    long restartMs = millisSince(k0);
    Progress.log("service restarted as pid %d on %s in %d ms", service.pid(), service.url(), restartMs);
    return new IngestReport.Kill(settled, restartMs);
  }

  /** Phase 6: the stores read back, every listed key looked for once. */
  private IngestReport.Audit audit(AwsClients aws, String runId, GroundTruth truth) {
    long a0 = System.nanoTime();
    BatchWriter writer = new BatchWriter(aws.dynamo(), settings.ingestion().retry());
    RunAudit.Result result = RunAudit.audit(aws.s3(), aws.dynamo(), MemberStore.of(aws.dynamo(), settings, Clock.systemUTC()),
        new QuarantineStore(aws.dynamo(), settings.resources().quarantineTable(), writer,
            settings.ingestion().quarantineRetention()), bucket, PREFIX, runId);
    return new IngestReport.Audit(millisSince(a0), result, truth);
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

  static long millisSince(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos).toMillis();
  }
}
