package audience.bench;

import audience.aws.AwsClients;
import audience.config.Settings;
import audience.generator.GeneratorSpec;
import audience.segments.SegmentGenerator;
import audience.store.RunPhase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import me.tongfei.progressbar.ProgressBar;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code ./audience bench segments}: on fresh emulators, generate N files, let a service node (its own JVM) ingest
 * them, then follow the segment generation the run's completion starts (scan of the members, one Kinesis record
 * per interesting segment, the consumers' metadata writes, the manifest) until its manifest is written. The result
 * is one JSON object ({@link SegmentsReport}; every field in docs/benchmarks.md, "Segments").
 */
public final class SegmentsBenchmark {
  /** No bad files: every file gives a member, and the generation's figures are per member. */
  static final int BAD_FILES = 0;
  /** How often the run's and then the generation's status are read: often enough for progress and a timely end. */
  static final Duration STATUS_POLL = IngestBenchmark.STATUS_POLL;
  /** No settled file, or no step of the generation, for this long: the benchmark gives up rather than wait forever. */
  static final Duration STALL_TIMEOUT = IngestBenchmark.STALL_TIMEOUT;
  /** The settings key {@code --min-audience} overrides in the service JVM. */
  static final String MIN_AUDIENCE_KEY = "audience.segments.min-audience";
  private static final String PROFILE_KEY = "audience.profile";

  /**
   * What to run.
   *
   * @param serviceHeap the service JVM's -Xmx, e.g. "512m"
   * @param devstackHeapMb the -Xmx the caller gave the devstack JVM, reported with the figures
   * @param minAudience {@code audience.segments.min-audience} for the service; null keeps the service's own
   */
  public record Options(int files, long seed, String serviceHeap, int devstackHeapMb, Integer minAudience) {
    public Options {
      if (files < 1) throw new IllegalArgumentException("--files must be at least 1");
      requireHeapSize(serviceHeap);
      if (minAudience != null && minAudience < 1) throw new IllegalArgumentException("--min-audience must be at least 1");
    }

    /** The service JVM's settings overrides: the local profile, and the minimum audience when given. */
    public Map<String, String> serviceProperties() {
      Map<String, String> p = new LinkedHashMap<>();
      p.put(PROFILE_KEY, Settings.PROFILE_LOCAL);
      if (minAudience != null) p.put(MIN_AUDIENCE_KEY, minAudience.toString());
      return p;
    }

    /** The minimum audience the service runs with: the option, else {@code serviceDefault} (its settings'). */
    public int effectiveMinAudience(int serviceDefault) {
      return minAudience != null ? minAudience : serviceDefault;
    }
  }

  /** Refuses a {@code --service-heap} that is not a JVM size such as 512m. */
  static void requireHeapSize(String serviceHeap) {
    if (serviceHeap == null || !serviceHeap.trim().matches("\\d+[kmgtKMGT]?")) {
      throw new IllegalArgumentException("--service-heap must be a size such as 512m, was " + serviceHeap);
    }
  }

  private final Options o;
  private final Path devstackHome;
  private final Settings settings;
  private final OpsHttp http = new OpsHttp();
  private final String stamp = Long.toString(System.currentTimeMillis());

  /**
   * @param devstackHome the running devstack's home (holds endpoints.json), handed to the service JVM
   * @param settings the bench JVM's settings, pointing at that devstack (the service loads the same ones)
   */
  public SegmentsBenchmark(Options options, Path devstackHome, Settings settings) {
    this.o = options;
    this.devstackHome = devstackHome;
    this.settings = settings;
  }

  public IngestBenchmark.Outcome run() throws Exception {
    String bucket = settings.resources().rawBucket();
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      IngestReport.Dataset dataset = IngestBenchmark.writeDataset(aws, new GeneratorSpec(o.files(), BAD_FILES,
          o.seed(), bucket, IngestBenchmark.PREFIX, IngestBenchmark.GZIPPED_SHARE));
      try (BenchService service = BenchService.start(devstackHome, o.serviceProperties(), o.serviceHeap())) {
        JvmSampler jvm = service.jvm();
        long serviceStartMs = service.startMs();
        Instant posted = Instant.now();
        String runId = IngestBenchmark.startRun(http, service.url(), bucket, o.files(), "bench-segments-" + stamp);
        JsonNode status = followRun(service.url(), runId);
        String state = status.path("state").asText("stalled");
        Long ingestMs = IngestReport.millisBetween(posted, DoneWatcher.instant(status, "completedAt"));
        CpuMeter cpu = new CpuMeter();
        cpu.mark();
        long g0 = System.nanoTime();
        JsonNode view = state.equals(RunPhase.COMPLETED.wire()) ? followGeneration(service.url(), runId, cpu)
            : MissingNode.getInstance();
        long generationWaitMs = IngestBenchmark.millisSince(g0);
        cpu.sample();
        jvm.sample();
        SegmentsReport report = new SegmentsReport(o, o.effectiveMinAudience(settings.segments().minAudience()),
            new SegmentsReport.Phases(dataset.generateMs(), serviceStartMs, runId, state, ingestMs, generationWaitMs),
            view, new IngestReport.Heap(jvm.peakMb(), jvm.afterGcMb(), IngestBenchmark.xmxMb(o.serviceHeap()),
                jvm.samples()), cpu.report());
        return new IngestBenchmark.Outcome(report.toJson(), report.ok());
      }
    }
  }

  /** Polls the run's status until it ends or stalls; its last status (state "stalled" when it stalled). */
  private JsonNode followRun(String url, String runId) throws InterruptedException {
    long lastSettled = -1;
    long lastChange = System.nanoTime();
    JsonNode status = MissingNode.getInstance();
    try (ProgressBar bar = Progress.bar("ingest", o.files())) {
      while (true) {
        status = read(url + "/ops/ingestions/" + runId, status);
        long settled = status.path("settled").asLong(-1);
        bar.stepTo(Math.max(settled, 0));
        if (settled != lastSettled) {
          lastSettled = settled;
          lastChange = System.nanoTime();
        }
        if (!status.isMissingNode() && RunPhase.fromWire(status.path("state").asText()).ended()) return status;
        if (System.nanoTime() - lastChange > STALL_TIMEOUT.toNanos()) {
          Progress.log("no settled file for %s: giving up", STALL_TIMEOUT);
          return status.isObject() ? ((ObjectNode) status.deepCopy()).put("state", "stalled") : status;
        }
        Thread.sleep(STATUS_POLL.toMillis()); // polling another process's status
      }
    }
  }

  /**
   * Polls the run's segment generation (404 until the done event has requested it) until its manifest is written
   * or it makes no step for {@link #STALL_TIMEOUT}; logs each phase it reaches. Its last view, or missing when none.
   */
  private JsonNode followGeneration(String url, String runId, CpuMeter cpu) throws InterruptedException {
    String completed = SegmentGenerator.Phase.COMPLETED.wire();
    JsonNode view = MissingNode.getInstance();
    String lastPhase = "";
    String lastError = "";
    long lastChange = System.nanoTime();
    while (true) {
      view = read(url + "/ops/segments/generations/" + runId, view);
      cpu.sample();
      String phase = view.path("phase").asText("");
      if (!phase.equals(lastPhase)) {
        lastPhase = phase;
        lastChange = System.nanoTime();
        if (!phase.isEmpty()) logPhase(view);
      }
      String error = view.path("lastError").asText("");
      if (!error.isEmpty() && !error.equals(lastError)) Progress.log("generation: %s", error);
      lastError = error;
      if (phase.equals(completed)) return view;
      if (System.nanoTime() - lastChange > STALL_TIMEOUT.toNanos()) {
        Progress.log("generation still %s after %s: giving up", phase.isEmpty() ? "not requested" : phase,
            STALL_TIMEOUT);
        return view;
      }
      Thread.sleep(STATUS_POLL.toMillis()); // polling another process's status
    }
  }

  private JsonNode read(String url, JsonNode before) throws InterruptedException {
    return http.readOr(url, before);
  }

  private static void logPhase(JsonNode view) {
    JsonNode t = view.path("timings");
    switch (SegmentGenerator.Phase.fromWire(view.path("phase").asText())) {
      case NEW -> Progress.log("generation requested");
      case SCANNING -> Progress.log("generation %s: scanning the members (data time %s)",
          view.path("generationId").asText(), view.path("dataTime").asText());
      case PUBLISHED -> Progress.log("published %d segments from %d members (scan %d ms, publish %d ms); "
              + "waiting for their metadata", view.path("segments").asLong(), t.path("members").asLong(),
          t.path("scanMs").asLong(), t.path("publishMs").asLong());
      case COMPLETED -> Progress.log("manifest %s: %d segments, done to manifest %d ms (metadata %d ms)",
          view.path("manifestKey").asText(), view.path("segments").asLong(), view.path("doneToManifestMs").asLong(),
          t.path("metadataMs").asLong());
    }
  }
}
