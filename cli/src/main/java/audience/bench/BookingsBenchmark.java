package audience.bench;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.bookings.Booking.Status;
import audience.config.Settings;
import audience.devstack.EdmSandboxClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import me.tongfei.progressbar.ProgressBar;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code ./audience bench bookings}: on fresh emulators, N opted-in members of one segment written straight to the
 * members table with the segment's metadata, read-model row and manifest ({@link BookingsDataset}, untimed); then a
 * service node (its own JVM) books the segment for tomorrow, runs the booking creator, and the bench follows the
 * booking to {@code notified}: the audience file (scan, suppression check, S3 multipart upload), the upload to the
 * devstack's EDM sandbox in import jobs, the notification. The result is one JSON object ({@link BookingsReport};
 * every field in docs/benchmarks.md, "Bookings").
 */
public final class BookingsBenchmark {
  /** How often the booking is read: the resolution of the per-status times (the booking has no time per status). */
  static final Duration STATUS_POLL = Duration.ofMillis(100);
  /** No change of the booking for this long: the benchmark gives up rather than wait forever. */
  static final Duration STALL_TIMEOUT = IngestBenchmark.STALL_TIMEOUT;
  /**
   * The sandbox's time from an import job's creation to its completion (its default is 300 ms): short, so that the
   * figures are the service's and S3's rather than a simulated platform's; a real platform takes seconds per job.
   */
  static final Duration SANDBOX_COMPLETION_DELAY = Duration.ofMillis(50);
  /** The creator's zone: "tomorrow" and the send-date checks in UTC, as the bench computes them. */
  static final String CREATOR_ZONE = "UTC";
  static final String CREATOR_ZONE_KEY = "audience.bookings.creator.zone";
  static final String CHUNK_SIZE_KEY = "audience.bookings.upload.chunk-size";
  /** The EDM platform's cap on profiles per import job (docs/edm-platform.md). */
  static final int MAX_CHUNK_SIZE = 10_000;
  /** The devstack's heap per member: the audience file in S3Proxy's in-memory store, the sandbox's members. */
  static final long DEVSTACK_BYTES_PER_MEMBER = 4 * 1024;
  static final int DEVSTACK_BASE_HEAP_MB = 256;
  static final int DEVSTACK_MIN_HEAP_MB = 512;
  private static final String PROFILE_KEY = "audience.profile";
  private static final String CAMPAIGN = "bench";
  private static final String REQUESTED_BY = "bench-bookings";

  /**
   * What to run.
   *
   * @param chunkSize {@code audience.bookings.upload.chunk-size} for the service; null keeps the service's own
   * @param serviceHeap the service JVM's -Xmx, e.g. "512m"
   * @param devstackHeapMb the -Xmx of the devstack JVM (the EDM sandbox and S3Proxy live there)
   */
  public record Options(int members, Integer chunkSize, long seed, String serviceHeap, int devstackHeapMb) {
    public Options {
      if (members < 1) throw new IllegalArgumentException("--members must be at least 1");
      if (chunkSize != null && (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE)) {
        throw new IllegalArgumentException("--chunk-size must be in 1.." + MAX_CHUNK_SIZE);
      }
      SegmentsBenchmark.requireHeapSize(serviceHeap);
      if (devstackHeapMb < DEVSTACK_MIN_HEAP_MB) {
        throw new IllegalArgumentException("--devstack-heap-mb must be at least " + DEVSTACK_MIN_HEAP_MB);
      }
    }

    /** The devstack's heap for N members: the default, or more for the audience file and the sandbox. */
    public static int devstackHeapMbFor(int members) {
      return (int) Math.max(DEVSTACK_MIN_HEAP_MB,
          DEVSTACK_BASE_HEAP_MB + members * DEVSTACK_BYTES_PER_MEMBER / (1024 * 1024));
    }

    /** The service JVM's settings overrides: the local profile, the creator in UTC, the chunk size when given. */
    public Map<String, String> serviceProperties() {
      Map<String, String> p = new LinkedHashMap<>();
      p.put(PROFILE_KEY, Settings.PROFILE_LOCAL);
      p.put(CREATOR_ZONE_KEY, CREATOR_ZONE);
      if (chunkSize != null) p.put(CHUNK_SIZE_KEY, chunkSize.toString());
      return p;
    }

    /** The sandbox's completion delay during the run. */
    public Duration sandboxCompletionDelay() {
      return SANDBOX_COMPLETION_DELAY;
    }
  }

  private final Options o;
  private final Path devstackHome;
  private final Settings settings;
  private final EdmSandboxClient sandbox;
  private final OpsHttp http = new OpsHttp();
  private final ObjectMapper json = new ObjectMapper();

  /**
   * @param devstackHome the running devstack's home (holds endpoints.json), handed to the service JVM
   * @param settings the bench JVM's settings, pointing at that devstack (the service loads the same resource names)
   * @param sandbox the devstack's EDM sandbox
   */
  public BookingsBenchmark(Options options, Path devstackHome, Settings settings, EdmSandboxClient sandbox) {
    this.o = options;
    this.devstackHome = devstackHome;
    this.settings = settings;
    this.sandbox = sandbox;
  }

  public IngestBenchmark.Outcome run() throws Exception {
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
      BookingsDataset.Written setup;
      try (ProgressBar bar = Progress.bar("members", o.members() + BookingsDataset.OTHER_MEMBERS)) {
        setup = new BookingsDataset(o.members(), o.seed(), settings, Instant.now())
            .write(aws, Clock.systemUTC(), bar::stepTo);
      }
      Progress.log("set-up: %d members of segment %s and %d others in %d ms; segment, manifest in %d ms",
          setup.members(), setup.segmentId(), setup.others(), setup.membersMs(), setup.segmentMs());
      sandbox.reset();
      sandbox.completionDelay(SANDBOX_COMPLETION_DELAY);

      try (BenchService service = BenchService.start(devstackHome, o.serviceProperties(), o.serviceHeap())) {
        JvmSampler jvm = service.jvm();
        long serviceStartMs = service.startMs();
        CpuMeter cpu = new CpuMeter();
        cpu.mark();
        Instant posted = Instant.now();
        String bookingId = book(service.url(), setup.segmentId());
        awaitRequestedInReadModel(service.url(), setup.segmentId(), bookingId);
        Instant creatorRun = Instant.now();
        OpsHttp.Reply run = http.post(service.url() + "/ops/bookings/run-creator", "");
        if (!run.ok()) throw new IllegalStateException("POST /ops/bookings/run-creator: " + run.status() + " " + run.body());
        Progress.log("booking creator run: %d booking(s) asked to write their audience", run.body().path("bookings").asInt());
        Map<Status, BookingsReport.Seen> seen = new EnumMap<>(Status.class);
        JsonNode booking = follow(service.url(), bookingId, seen, cpu);
        cpu.sample();
        jvm.sample();
        BookingsReport.SandboxCheck check = BookingsReport.SandboxCheck.of(sandbox.importCounts(),
            BookingsDataset::isSegmentMember);
        BookingsReport report = new BookingsReport(o, setup,
            new BookingsReport.Timeline(posted, creatorRun, seen, STATUS_POLL), booking,
            new IngestReport.Heap(jvm.peakMb(), jvm.afterGcMb(), IngestBenchmark.xmxMb(o.serviceHeap()), jvm.samples()),
            check, serviceStartMs, cpu.report());
        return new IngestBenchmark.Outcome(report.toJson(), report.ok());
      }
    }
  }

  /** POSTs the booking of the segment for tomorrow (UTC, the creator's zone); its id. */
  private String book(String url, String segmentId) throws IOException, InterruptedException {
    String body = json.createObjectNode().put("segmentId", segmentId).put("campaign", CAMPAIGN)
        .put("sendDate", LocalDate.now(ZoneOffset.UTC).plusDays(1).toString()).put("requestedBy", REQUESTED_BY)
        .toString();
    OpsHttp.Reply r = http.post(url + "/ops/bookings", body);
    if (!r.ok()) throw new IllegalStateException("POST /ops/bookings: " + r.status() + " " + r.body());
    String id = r.body().path("bookingId").asText();
    Progress.log("booking %s of segment %s requested", id, segmentId);
    return id;
  }

  /**
   * Waits for the booking's row in the read model as requested: the creator lists requested bookings from there, and
   * the row is written just after the booking's event.
   */
  private void awaitRequestedInReadModel(String url, String segmentId, String bookingId) throws InterruptedException {
    String list = url + "/ops/bookings?status=" + Status.REQUESTED.wire() + "&segment="
        + URLEncoder.encode(segmentId, StandardCharsets.UTF_8);
    long start = System.nanoTime();
    while (!read(list, MissingNode.getInstance()).toString().contains(bookingId)) {
      if (System.nanoTime() - start > STALL_TIMEOUT.toNanos()) {
        throw new IllegalStateException("booking " + bookingId + " not in the read model after " + STALL_TIMEOUT);
      }
      Thread.sleep(STATUS_POLL.toMillis()); // polling another process's read model
    }
  }

  /**
   * Polls the booking every {@link #STATUS_POLL} until notified or failed (or no change for {@link #STALL_TIMEOUT}),
   * noting the first answer of each status in {@code seen}; its last answer.
   */
  private JsonNode follow(String url, String bookingId, Map<Status, BookingsReport.Seen> seen, CpuMeter cpu)
      throws InterruptedException {
    JsonNode booking = MissingNode.getInstance();
    String lastUpdate = "";
    long lastChange = System.nanoTime();
    try (ProgressBar bar = Progress.bar("upload", o.members())) {
      while (true) {
        booking = read(url + "/ops/bookings/" + bookingId, booking);
        Instant at = Instant.now();
        cpu.sample();
        String wire = booking.path("status").asText("");
        if (wire.isEmpty()) {
          Thread.sleep(STATUS_POLL.toMillis()); // polling another process's status
          continue;
        }
        Status status = Status.fromWire(wire);
        if (!seen.containsKey(status)) {
          seen.put(status, new BookingsReport.Seen(at, Instant.parse(booking.path("updatedAt").asText())));
          Progress.log("booking %s: %s (audience %d members)", bookingId, wire,
              booking.path("audience").path("members").asLong(0));
        }
        bar.stepTo(imported(booking));
        String update = booking.path("updatedAt").asText("");
        if (!update.equals(lastUpdate)) {
          lastUpdate = update;
          lastChange = System.nanoTime();
        }
        if (status == Status.NOTIFIED || status == Status.CANCELLED
            || (status == Status.FAILED && booking.path("notified").asBoolean())) {
          return booking;
        }
        if (System.nanoTime() - lastChange > STALL_TIMEOUT.toNanos()) {
          Progress.log("booking %s still %s after %s: giving up", bookingId, wire, STALL_TIMEOUT);
          return booking;
        }
        Thread.sleep(STATUS_POLL.toMillis()); // polling another process's status
      }
    }
  }

  /** Rows imported so far: the sum over the chunks that completed. */
  private static long imported(JsonNode booking) {
    long n = 0;
    for (JsonNode chunk : booking.path("chunks")) n += Math.max(chunk.path("imported").asLong(0), 0);
    return n;
  }

  private JsonNode read(String url, JsonNode before) throws InterruptedException {
    return http.readOr(url, before);
  }
}
