package audience.bench;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.aws.AwsClients;
import audience.config.Settings;
import audience.generator.GeneratorSpec;
import audience.local.ServiceProcess;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import me.tongfei.progressbar.ProgressBar;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ./audience bench api}: on fresh emulators, generate N files and let a service node (its own JVM) ingest them
 * and generate their segments (as {@link SegmentsBenchmark} does), then drive {@code POST /graphql} from N
 * connections in a closed loop with a mix of segment pages, booking details, bookings and cancels ({@link #MIX}),
 * and then with the trivial {@code { me { subject } }} alone (the baseline: what auth, the limits, parsing and HTTP
 * cost without reading anything). The result is one JSON object ({@link ApiReport}; every field in
 * docs/benchmarks.md, "API").
 */
public final class ApiBenchmark {
  /** Segments per page, as a front end lists them. */
  public static final int PAGE_SIZE = 50;
  /**
   * The service's {@code audience.api.limits.rate-limit.requests} (per subject per window) during the bench: the
   * default 120 a minute would refuse all but 2 requests a second per token. Raised rather than spread over tokens,
   * which would need thousands of them; the limiter still runs on every request, so its cost is measured.
   */
  public static final int BENCH_RATE_LIMIT = 10_000_000;
  /** The most connections: each is a thread and an HTTP client here, and a connection at the service. */
  public static final int MAX_CONNECTIONS = 512;
  /**
   * One turn of the mix, which every connection repeats: per 10 requests 6 segment pages, 2 booking details, 1 booking
   * and 1 cancel of it. A booking's detail and cancel come a few requests after it, as a person's would (the bookings
   * read model, which both read, is written just after the booking's event), and the cancel frees the pair again.
   */
  static final List<ApiOperation> MIX = List.of(ApiOperation.BOOK_SEGMENT, ApiOperation.SEGMENTS_PAGE,
      ApiOperation.SEGMENTS_PAGE, ApiOperation.SEGMENTS_PAGE, ApiOperation.BOOKING, ApiOperation.SEGMENTS_PAGE,
      ApiOperation.SEGMENTS_PAGE, ApiOperation.CANCEL_BOOKING, ApiOperation.SEGMENTS_PAGE, ApiOperation.BOOKING);
  /** The baseline's warm-up: the service is warm by then, only {@code me}'s own path is new. */
  static final Duration BASELINE_WARMUP = Duration.ofSeconds(2);
  /** The most one request may take; beyond the service's own timeout (10 s), so that its answer is what counts. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  /** Days from today (UTC) to the first send date booked: tomorrow at least, in any zone the creator is given. */
  static final int FIRST_SEND_DAY = 2;
  /** Fewer pages than this is not "several": the bench says so (lower --min-audience or more --files). */
  static final int SEVERAL_PAGES = 3;
  static final String CAMPAIGN = "bench-api";
  /** Token subjects: one per connection, {@code bench-api-<n>}, and one for the set-up's reads. */
  static final String SUBJECT_PREFIX = "bench-api-";
  static final String SETUP_SUBJECT = "bench-api-setup";
  static final String RATE_LIMIT_KEY = "audience.api.limits.rate-limit.requests";
  static final String CREATOR_ZONE_KEY = "audience.bookings.creator.zone";
  private static final String PROFILE_KEY = "audience.profile";
  private static final long SECONDS_PER_DAY = Duration.ofDays(1).toSeconds();
  private static final long SECONDS_PER_MINUTE = 60;

  private static final String PROGRESS_QUERY = "query($id: ID!) { run(id: $id) { phase ingested quarantined } "
      + "manifest { generationId sourceRunId segmentCount } }";
  private static final String LIST_QUERY = "query($first: Int, $after: String) { segments(first: $first, "
      + "after: $after) { totalCount generationId edges { node { id } } pageInfo { hasNextPage endCursor } } }";

  /**
   * What to run.
   *
   * @param seconds the mix's measured window; {@code warmupSeconds} before it are not measured
   * @param baselineSeconds the baseline's measured window (after a warm-up of {@link #BASELINE_WARMUP})
   * @param serviceHeap the service JVM's -Xmx, e.g. "512m"
   * @param devstackHeapMb the -Xmx the caller gave the devstack JVM, reported with the figures
   * @param minAudience {@code audience.segments.min-audience} for the service; null keeps the service's own
   */
  public record Options(int files, int connections, int seconds, int warmupSeconds, int baselineSeconds, long seed,
                        String serviceHeap, int devstackHeapMb, Integer minAudience) {
    public Options {
      if (files < 1) throw new IllegalArgumentException("--files must be at least 1");
      if (connections < 1 || connections > MAX_CONNECTIONS) {
        throw new IllegalArgumentException("--connections must be in 1.." + MAX_CONNECTIONS);
      }
      if (seconds < 1) throw new IllegalArgumentException("--seconds must be at least 1");
      if (warmupSeconds < 0) throw new IllegalArgumentException("--warmup-seconds must not be negative");
      if (baselineSeconds < 1) throw new IllegalArgumentException("--baseline-seconds must be at least 1");
      SegmentsBenchmark.requireHeapSize(serviceHeap);
      if (minAudience != null && minAudience < 1) throw new IllegalArgumentException("--min-audience must be at least 1");
    }

    public int pageSize() {
      return PAGE_SIZE;
    }

    /**
     * The service JVM's settings overrides: the local profile, the raised rate limit, the booking creator's zone
     * (see {@link #quietCreatorZone}), and the minimum audience when given.
     */
    public Map<String, String> serviceProperties(ZoneOffset creatorZone) {
      Map<String, String> p = new LinkedHashMap<>();
      p.put(PROFILE_KEY, Settings.PROFILE_LOCAL);
      p.put(RATE_LIMIT_KEY, Integer.toString(BENCH_RATE_LIMIT));
      p.put(CREATOR_ZONE_KEY, creatorZone.getId());
      if (minAudience != null) p.put(SegmentsBenchmark.MIN_AUDIENCE_KEY, minAudience.toString());
      return p;
    }

    /** The minimum audience the service runs with: the option, else {@code serviceDefault} (its settings'). */
    public int effectiveMinAudience(int serviceDefault) {
      return minAudience != null ? minAudience : serviceDefault;
    }
  }

  /**
   * The booking creator's zone for the bench: the whole-minute offset that puts {@code now} in the middle of the
   * longest gap between the creator's {@code times} of day (with the defaults 06:00, 12:00, 18:00: midnight, six hours
   * from a slot). No slot then falls within the bench, so the bench's requested bookings are never picked up for an
   * audience file (which would make their cancel refused and load the service with exports mid-measurement).
   */
  public static ZoneOffset quietCreatorZone(Instant now, List<LocalTime> times) {
    List<Long> slots = times.stream().map(t -> (long) t.toSecondOfDay()).sorted().distinct().toList();
    long bestStart = slots.get(0);
    long bestGap = -1;
    for (int i = 0; i < slots.size(); i++) {
      long next = i + 1 < slots.size() ? slots.get(i + 1) : slots.get(0) + SECONDS_PER_DAY;
      if (next - slots.get(i) > bestGap) {
        bestGap = next - slots.get(i);
        bestStart = slots.get(i);
      }
    }
    long middle = (bestStart + bestGap / 2) % SECONDS_PER_DAY;
    long nowOfDay = now.atOffset(ZoneOffset.UTC).toLocalTime().toSecondOfDay();
    long offset = Math.floorMod(middle - nowOfDay + SECONDS_PER_DAY / 2, SECONDS_PER_DAY) - SECONDS_PER_DAY / 2;
    return ZoneOffset.ofTotalSeconds((int) (Math.round((double) offset / SECONDS_PER_MINUTE) * SECONDS_PER_MINUTE));
  }

  /** The latest generation's segments as the set-up listed them: the cursor of every page, every id. */
  record Listing(String generationId, List<String> pageCursors, List<String> segmentIds) {}

  private final Options o;
  private final Path devstackHome;
  private final Settings settings;
  private final OpsHttp http = new OpsHttp();
  private final String stamp = Long.toString(System.currentTimeMillis());

  /**
   * @param devstackHome the running devstack's home (holds endpoints.json), handed to the service JVM
   * @param settings the bench JVM's settings, pointing at that devstack (the service loads the same ones)
   */
  public ApiBenchmark(Options options, Path devstackHome, Settings settings) {
    this.o = options;
    this.devstackHome = devstackHome;
    this.settings = settings;
  }

  public IngestBenchmark.Outcome run() throws Exception {
    String bucket = settings.resources().rawBucket();
    Instant start = Instant.now();
    ZoneOffset creatorZone = quietCreatorZone(start, settings.bookings().creator().times());
    int minAudience = o.effectiveMinAudience(settings.segments().minAudience());
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      IngestReport.Dataset dataset = IngestBenchmark.writeDataset(aws, new GeneratorSpec(o.files(),
          SegmentsBenchmark.BAD_FILES, o.seed(), bucket, IngestBenchmark.PREFIX, IngestBenchmark.GZIPPED_SHARE));
      try (BenchService service = BenchService.start(devstackHome, o.serviceProperties(creatorZone), o.serviceHeap())) {
        JvmSampler jvm = service.jvm();
        TokenIssuer issuer = new TokenIssuer(settings.api().jwt());
        URI endpoint = URI.create(service.url() + "/graphql");
        ApiClient setup = new ApiClient(endpoint, issuer.mint(SETUP_SUBJECT, Role.BOOKER, Instant.now()),
            REQUEST_TIMEOUT);
        long p0 = System.nanoTime();
        String runId = IngestBenchmark.startRun(http, service.url(), bucket, o.files(), "bench-api-" + stamp);
        Optional<JsonNode> manifest = awaitManifest(setup, runId);
        Long ingestMs = manifest.isPresent() ? IngestBenchmark.millisSince(p0) : null;
        Listing listing = manifest.isPresent() ? list(setup) : new Listing(null, List.of(), List.of());
        int pages = listing.pageCursors().size();
        String error = manifest.isEmpty() ? "no manifest of run " + runId + " (no progress for "
            + IngestBenchmark.STALL_TIMEOUT + ")"
            : listing.segmentIds().isEmpty() ? "the generation has no segment: lower --min-audience (was "
            + minAudience + ") or give more --files" : null;
        if (error == null && pages < SEVERAL_PAGES) {
          Progress.log("only %d page(s) of %d segments: lower --min-audience or give more --files for several",
              pages, PAGE_SIZE);
        }
        LocalDate firstSendDate = LocalDate.now(ZoneOffset.UTC).plusDays(FIRST_SEND_DAY);
        ApiLoad.Phase mix = new ApiLoad.Phase(Map.of(), Duration.ZERO);
        ApiLoad.Phase baseline = new ApiLoad.Phase(Map.of(), Duration.ZERO);
        CpuMeter cpu = new CpuMeter();
        cpu.mark();
        if (error == null) {
          List<String> tokens = new ArrayList<>();
          for (int i = 0; i < o.connections(); i++) tokens.add(issuer.mint(SUBJECT_PREFIX + i, Role.BOOKER, Instant.now()));
          ApiLoad load = new ApiLoad(endpoint, tokens, new ApiLoad.Plan(listing.pageCursors(), PAGE_SIZE,
              listing.segmentIds(), firstSendDate, CAMPAIGN), REQUEST_TIMEOUT);
          Progress.log("mix: %d connections, %d s warm-up then %d s measured, over %d segments (%d pages of %d)",
              o.connections(), o.warmupSeconds(), o.seconds(), listing.segmentIds().size(), pages, PAGE_SIZE);
          mix = load.run("mix", MIX, Duration.ofSeconds(o.warmupSeconds()), Duration.ofSeconds(o.seconds()));
          cpu.sample();
          Progress.log("baseline: %s, %d connections, %d s", ApiOperation.ME.document(), o.connections(),
              o.baselineSeconds());
          baseline = load.run("baseline", List.of(ApiOperation.ME), BASELINE_WARMUP,
              Duration.ofSeconds(o.baselineSeconds()));
        }
        jvm.sample();
        ApiReport report = new ApiReport(o, new ApiReport.Setup(dataset.generateMs(), service.startMs(), runId,
            ingestMs, listing.generationId(), listing.segmentIds().size(), pages, minAudience, error), mix, baseline,
            settingsReport(creatorZone, firstSendDate),
            new IngestReport.Heap(jvm.peakMb(), jvm.afterGcMb(), IngestBenchmark.xmxMb(o.serviceHeap()), jvm.samples()),
            cpu.report());
        return new IngestBenchmark.Outcome(report.toJson(), report.ok());
      }
    }
  }

  /** The settings the figures were taken with, as the result prints them. */
  private Map<String, Object> settingsReport(ZoneOffset creatorZone, LocalDate firstSendDate) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("rate_limit_requests", BENCH_RATE_LIMIT);
    s.put("rate_limit_window_s", settings.api().limits().rateLimitWindow().toSeconds());
    s.put("tokens", "one booker token per connection (" + SUBJECT_PREFIX + "0.." + (o.connections() - 1) + ")");
    s.put("http", "HTTP/1.1, one java.net.http.HttpClient (one connection) per connection, one request in flight");
    s.put("mix", MIX.stream().map(ApiOperation::wire).toList());
    s.put("warmup_seconds", o.warmupSeconds());
    s.put("baseline_seconds", o.baselineSeconds());
    s.put("request_timeout_s", REQUEST_TIMEOUT.toSeconds());
    s.put("creator_zone", creatorZone.getId());
    s.put("first_send_date", firstSendDate.toString());
    String extra = System.getenv(ServiceProcess.EXTRA_JAVA_OPTS);
    s.put("service_jvm_flags", ServiceProcess.SERVICE_JVM_FLAGS + (extra == null || extra.isBlank() ? "" : " " + extra.trim()));
    return s;
  }

  /**
   * Polls the run and the latest manifest through the API until the manifest is the run's (ingestion done, segments
   * generated), or nothing changed for {@link IngestBenchmark#STALL_TIMEOUT}; the manifest, empty when it gave up.
   */
  private Optional<JsonNode> awaitManifest(ApiClient client, String runId) throws InterruptedException {
    String lastSeen = "";
    String lastPhase = "";
    long lastChange = System.nanoTime();
    try (ProgressBar bar = Progress.bar("ingest", o.files())) {
      while (true) {
        JsonNode data = MissingNode.getInstance();
        try {
          data = client.data(PROGRESS_QUERY, ApiClient.variables().put("id", runId));
        } catch (IOException | IllegalStateException notYet) {
          // the run not listed yet, or the service busy: ask again
        }
        JsonNode run = data.path("run");
        JsonNode manifest = data.path("manifest");
        bar.stepTo(run.path("ingested").asLong(0) + run.path("quarantined").asLong(0));
        String phase = run.path("phase").asText("");
        if (!phase.isEmpty() && !phase.equals(lastPhase)) {
          lastPhase = phase;
          Progress.log("run %s: %s", runId, phase.toLowerCase(Locale.ROOT));
        }
        if (manifest.path("sourceRunId").asText("").equals(runId)) {
          Progress.log("manifest of generation %s: %d segments", manifest.path("generationId").asText(),
              manifest.path("segmentCount").asLong());
          return Optional.of(manifest);
        }
        String seen = data.toString();
        if (!seen.equals(lastSeen)) {
          lastSeen = seen;
          lastChange = System.nanoTime();
        }
        if (System.nanoTime() - lastChange > IngestBenchmark.STALL_TIMEOUT.toNanos()) {
          Progress.log("no progress of run %s for %s: giving up", runId, IngestBenchmark.STALL_TIMEOUT);
          return Optional.empty();
        }
        Thread.sleep(IngestBenchmark.STATUS_POLL.toMillis()); // polling another process's status
      }
    }
  }

  /** Every page of the latest generation's segments, {@link #PAGE_SIZE} at a time (untimed). */
  private static Listing list(ApiClient client) throws IOException, InterruptedException {
    List<String> cursors = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    String generation = null;
    String after = null;
    while (true) {
      cursors.add(after);
      JsonNode page = client.data(LIST_QUERY, ApiClient.variables().put("first", PAGE_SIZE).put("after", after))
          .path("segments");
      generation = page.path("generationId").asText(null);
      page.path("edges").forEach(e -> ids.add(e.path("node").path("id").asText()));
      if (!page.path("pageInfo").path("hasNextPage").asBoolean(false)) break;
      after = page.path("pageInfo").path("endCursor").asText();
    }
    if (ids.isEmpty()) cursors.clear();
    Progress.log("generation %s: %d segments in %d page(s) of %d", generation, ids.size(), cursors.size(), PAGE_SIZE);
    return new Listing(generation, cursors, ids);
  }
}
