package audience.local;

import audience.aws.AwsClients;
import audience.config.Settings;
import audience.contract.Intent;
import audience.devstack.DevStack;
import audience.devstack.EdmSandboxClient;
import audience.devstack.EdmSandboxFault;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.ExpectedSegments;
import audience.generator.GeneratorSpec;
import audience.segments.PriceBand;
import audience.segments.SegmentKey;
import audience.testkit.Http;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service process is SIGKILLed while a booking's audience is being uploaded to the EDM sandbox, one import job
 * per chunk (docs/edm-platform.md, "Retries without an idempotency key"), and a new process on the same namespace
 * resumes the booking when the periodic wake finds it: the booking ends notified, the sandbox holds exactly the
 * segment's members (computed from the generator), each imported by one job, and no chunk's tag names two jobs.
 * <ul>
 *   <li>killed while a chunk's job is recorded and still running (earlier chunks imported, later ones not): the new
 *       process polls that job instead of creating another;</li>
 *   <li>killed while a chunk's create is in flight (held by the sandbox, which creates the job after the service is
 *       gone: created on the platform, never recorded): the new process finds the job by its tag and creates none.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BookingCrashIT {
  private static final int FILES = 3_000;
  private static final String PREFIX = "book-crash/";
  private static final int MIN_AUDIENCE = 3;
  /** Rows per import job: small, so that a segment's upload has several chunks. */
  private static final int CHUNK_SIZE = 2;
  /** The segments booked must upload in at least this many chunks, or "mid-upload" would say little. */
  private static final int MIN_CHUNKS = 4;
  /** How long the sandbox takes to complete a job: the upload takes seconds, the kill has time to land in it. */
  private static final Duration JOB_DELAY = Duration.ofMillis(1_500);
  /** The chunk whose create the sandbox holds back in the create-window test (chunks before it go through). */
  private static final int HELD_CHUNK = 2;
  /** How long the sandbox holds that create back: far longer than noticing it was taken and killing. */
  private static final Duration CREATE_HELD = Duration.ofSeconds(5);
  private static final String HEAP = "512m";
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final Duration SLOW_POLL = Duration.ofMillis(200);
  private static final int CREATED = 201;
  private static final int OK = 200;
  private static final int ACCEPTED = 202;

  private EdmSandboxClient sandbox;
  private Path home;
  private Map<String, String> props;
  /** The run's segments, the largest first. */
  private List<JsonNode> segments;
  /** Segment id to its members, computed from the generator. */
  private Map<String, Set<String>> expectedMembers;

  @BeforeAll
  void ingestAndGenerateSegments() throws Exception {
    DevStack devstack = DevStack.shared();
    sandbox = devstack.edmSandbox();
    String namespace = TestNodes.newNamespace() + "-bookcrash";
    home = Path.of("target", namespace).toAbsolutePath();
    devstack.endpoints().write(home.resolve("endpoints.json"));
    props = new LinkedHashMap<>(TestNodes.resourceProperties(namespace));
    props.put("audience.segments.min-audience", String.valueOf(MIN_AUDIENCE));
    props.put("audience.segments.stream.reader.idle-poll", "100ms");
    props.put("audience.bookings.creator.zone", "UTC");
    props.put("audience.bookings.upload.chunk-size", String.valueOf(CHUNK_SIZE));
    // one job at a time, so that each kill lands between two known chunks (parallel jobs: SegmentBookingTest)
    props.put("audience.bookings.upload.parallel-jobs", "1");
    props.put("audience.bookings.upload.poll-interval", "100ms");
    props.put("audience.bookings.upload.max-poll-interval", "200ms");
    // the new process finds the booking to resume by the periodic wake
    props.put("audience.bookings.wake-interval", "1s");
    props.put("logback.configurationFile",
        Path.of(BookingCrashIT.class.getResource("/logback-service-process.xml").toURI()).toString());
    Settings settings = TestNodes.settings(devstack, namespace, Map.copyOf(props));
    String bucket = settings.resources().rawBucket();
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(FILES, 0, 11L, bucket, PREFIX, 0.0));
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      new DatasetWriter().write(aws.s3(), generator, 16, n -> {}).join();
    }
    try (ServiceProcess setup = ServiceProcess.start(home, props, HEAP, home.resolve("service-setup.log"))) {
      Http ops = OperatorHttp.of(setup.url());
      Http.Reply started = ops.post("/ops/ingestions", "{\"bucket\":\"%s\",\"prefix\":\"%s\",\"uploadId\":\"b\"}"
          .formatted(bucket, PREFIX));
      assertThat(started.status()).as("%s", started).isEqualTo(ACCEPTED);
      String runId = started.body().path("runId").asText();
      JsonNode generation = Poll.until("the run's segments generated", TIMEOUT, SLOW_POLL,
          () -> ops.get("/ops/segments/generations/" + runId),
          r -> r.status() == OK && r.body().path("phase").asText().equals("completed")).body();
      Http.Reply listed = ops.get("/ops/segments?run=" + runId);
      assertThat(listed.status()).as("%s", listed).isEqualTo(OK);
      segments = StreamSupport.stream(listed.body().path("segments").spliterator(), false)
          .sorted(Comparator.comparingLong((JsonNode s) -> s.path("audience").asLong()).reversed()).toList();
      expectedMembers = membersBySegment(settings, generator, Instant.parse(generation.path("dataTime").asText()));
    }
  }

  /** Every expected segment's members, by segment id: the generator's profiles under the service's rules. */
  private static Map<String, Set<String>> membersBySegment(Settings settings, DatasetGenerator generator,
                                                           Instant dataTime) {
    var s = settings.segments();
    Map<Intent, List<Long>> bounds = new EnumMap<>(Intent.class);
    s.priceBands().forEach((wire, b) -> bounds.put(Intent.fromWire(wire).orElseThrow(), b));
    Map<String, Set<String>> out = new HashMap<>();
    ExpectedSegments.members(generator, new ExpectedSegments.Rules(bounds, s.priceBuckets(), MIN_AUDIENCE, dataTime,
        s.activityWindow())).forEach((k, members) -> out.put(new SegmentKey(k.state(), k.suburb(), k.intent(),
            k.propertyType(), new PriceBand(k.bandLow(), k.bandHigh())).id(), members));
    return out;
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void killedWhileAChunksJobRunsTheNewProcessPollsThatJobAndImportsEveryMemberOnce() throws Exception {
    JsonNode segment = segments.get(0);
    Set<String> expected = expectedOf(segment);
    sandbox.reset();
    sandbox.completionDelay(JOB_DELAY);

    Path firstLog = home.resolve("service-poll-1.log");
    Killed killed = bookAndKill(firstLog, segment, "crash-poll", (ops, id) -> Poll.until(
        "a chunk imported and a later chunk's job recorded, still running", TIMEOUT, POLL, () -> booking(ops, id),
        b -> b.path("status").asText().equals("uploading") && importedChunks(b) > 0 && running(b).isPresent()));
    String bookingId = killed.bookingId();
    JsonNode atKill = killed.atKill();
    Map.Entry<Integer, String> running = running(atKill).orElseThrow();
    System.out.printf("booking crash test: killed %s with %d of %d chunks imported, chunk %d's job %s running%n",
        bookingId, importedChunks(atKill), chunks(expected), running.getKey(), running.getValue());
    assertThat(importedChunks(atKill)).as("the kill landed mid-upload").isLessThan(chunks(expected));
    assertKilledBeforeTheUploadEnded(firstLog, bookingId);

    JsonNode done = resume(home.resolve("service-poll-2.log"), bookingId);
    assertUploadedOnce(done, bookingId, expected);
    assertThat(done.path("chunks").path(String.valueOf(running.getKey())).path("jobId").asText())
        .as("the job running at the kill polled to its end, not created again").isEqualTo(running.getValue());
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void killedBetweenCreatingAChunksJobAndRecordingItTheNewProcessFindsTheJobByItsTag() throws Exception {
    JsonNode segment = segments.get(1);
    Set<String> expected = expectedOf(segment);
    assertThat(chunks(expected)).isGreaterThan(HELD_CHUNK + 1);
    sandbox.reset();
    sandbox.completionDelay(JOB_DELAY);
    // the creates of the chunks before HELD_CHUNK pass unchanged (a hold of nothing); HELD_CHUNK's is held back
    List<EdmSandboxFault> script = new ArrayList<>();
    for (int c = 0; c < HELD_CHUNK; c++) script.add(EdmSandboxFault.slow(Duration.ZERO).on(EdmSandboxFault.Call.CREATE));
    script.add(EdmSandboxFault.slow(CREATE_HELD).on(EdmSandboxFault.Call.CREATE));
    sandbox.script(script.toArray(EdmSandboxFault[]::new));

    Path firstLog = home.resolve("service-tag-1.log");
    Killed killed = bookAndKill(firstLog, segment, "crash-tag", (ops, id) -> {
      Poll.until("chunk " + HELD_CHUNK + "'s create held by the sandbox", TIMEOUT, POLL, sandbox::pendingFaults,
          List::isEmpty);
      return booking(ops, id);
    });
    String bookingId = killed.bookingId();
    JsonNode atKill = killed.atKill();
    String heldTag = bookingId + "/" + HELD_CHUNK;
    assertThat(importedChunks(atKill)).as("the chunks before the held one imported").isEqualTo(HELD_CHUNK);
    assertThat(atKill.path("chunks").has(String.valueOf(HELD_CHUNK))).as("no job recorded for the held chunk")
        .isFalse();
    assertThat(jobsTagged(heldTag)).as("the kill landed before the sandbox created the held job").isEmpty();
    assertKilledBeforeTheUploadEnded(firstLog, bookingId);
    // the sandbox carries the create out after its caller died: a job on the platform the booking never recorded
    EdmSandboxClient.Job orphan = Poll.until("the held create carried out", TIMEOUT, POLL, () -> jobsTagged(heldTag),
        jobs -> !jobs.isEmpty()).get(0);
    System.out.printf("booking crash test: killed %s with %d of %d chunks imported, chunk %d's create in flight "
        + "(job %s created after the kill)%n", bookingId, importedChunks(atKill), chunks(expected), HELD_CHUNK,
        orphan.jobId());

    JsonNode done = resume(home.resolve("service-tag-2.log"), bookingId);
    assertUploadedOnce(done, bookingId, expected);
    assertThat(jobsTagged(heldTag)).as("found by its tag, not created again").hasSize(1);
    assertThat(done.path("chunks").path(String.valueOf(HELD_CHUNK)).path("jobId").asText())
        .isEqualTo(orphan.jobId());
  }

  private Set<String> expectedOf(JsonNode segment) {
    Set<String> expected = expectedMembers.get(segment.path("segmentId").asText());
    assertThat(expected).as("segment %s in the expected segments", segment).isNotNull();
    assertThat((long) expected.size()).isEqualTo(segment.path("audience").asLong());
    assertThat(chunks(expected)).as("chunks of %s", segment).isGreaterThanOrEqualTo(MIN_CHUNKS);
    return expected;
  }

  /** A booking killed mid-upload, and how its entity had it just before the kill. */
  private record Killed(String bookingId, JsonNode atKill) {}

  /**
   * Starts a process, books {@code segment} and starts its upload, waits for the kill point ({@code atKill}: given
   * the process and the booking id, answers the booking as it stands there), then SIGKILLs the process.
   */
  private Killed bookAndKill(Path log, JsonNode segment, String campaign, BiFunction<Http, String, JsonNode> atKill)
      throws Exception {
    ServiceProcess first = ServiceProcess.start(home, props, HEAP, log);
    try {
      Http ops = OperatorHttp.of(first.url());
      String bookingId = bookAndCreate(ops, segment, campaign);
      JsonNode booking = atKill.apply(ops, bookingId);
      first.kill();
      return new Killed(bookingId, booking);
    } finally {
      first.kill();
    }
  }

  /** Books {@code segment} for tomorrow and runs the creator: the audience is written and its upload starts. */
  private static String bookAndCreate(Http ops, JsonNode segment, String campaign) {
    String segmentId = segment.path("segmentId").asText();
    Http.Reply booked = ops.post("/ops/bookings", "{\"segmentId\":\"%s\",\"campaign\":\"%s\",\"sendDate\":\"%s\"}"
        .formatted(segmentId, campaign, LocalDate.now(ZoneOffset.UTC).plusDays(1)));
    assertThat(booked.status()).as("%s", booked).isEqualTo(CREATED);
    String bookingId = booked.body().path("bookingId").asText();
    Poll.until("the booking in the read model", TIMEOUT, POLL,
        () -> ops.get("/ops/bookings?status=requested&segment=" + segmentId),
        r -> r.status() == OK && r.raw().contains(bookingId));
    Http.Reply created = ops.post("/ops/bookings/run-creator", "");
    assertThat(created.status()).as("%s", created).isEqualTo(OK);
    return bookingId;
  }

  /** A second process on the same namespace, until the booking is notified; answers the booking then. */
  private JsonNode resume(Path log, String bookingId) throws Exception {
    try (ServiceProcess second = ServiceProcess.start(home, props, HEAP, log)) {
      Http ops = OperatorHttp.of(second.url());
      return Poll.until(bookingId + " notified after the restart", TIMEOUT, SLOW_POLL, () -> booking(ops, bookingId),
          b -> b.path("status").asText().equals("notified"));
    }
  }

  private static JsonNode booking(Http ops, String bookingId) {
    Http.Reply r = ops.get("/ops/bookings/" + bookingId);
    assertThat(r.status()).as("%s", r).isEqualTo(OK);
    return r.body();
  }

  /** The first process imported the first chunk and wrote no uploaded (or notified) line: it died mid-upload. */
  private static void assertKilledBeforeTheUploadEnded(Path log, String bookingId) throws Exception {
    assertThat(Files.readString(log)).contains("booking " + bookingId + ": chunk 0 imported")
        .doesNotContain("booking " + bookingId + ": uploaded");
  }

  /**
   * The booking's counts are the segment's; the sandbox holds exactly its members, each imported by one job; one
   * job per chunk, no tag twice.
   */
  private void assertUploadedOnce(JsonNode done, String bookingId, Set<String> expected) {
    int chunks = chunks(expected);
    assertThat(done.path("audience").path("members").asLong()).isEqualTo(expected.size());
    assertThat(done.path("upload").path("imported").asLong()).isEqualTo(expected.size());
    assertThat(done.path("upload").path("chunks").asInt()).isEqualTo(chunks);
    assertThat(importedChunks(done)).isEqualTo(chunks);
    assertThat(sandbox.importCounts()).as("exactly the segment's members, each imported once")
        .isEqualTo(expected.stream().collect(Collectors.toMap(Function.identity(), id -> 1)));
    List<String> tags = sandbox.jobs().stream().map(EdmSandboxClient.Job::tag).toList();
    assertThat(tags).as("one job per chunk").hasSize(chunks).doesNotHaveDuplicates()
        .allMatch(t -> t.startsWith(bookingId + "/"));
  }

  private List<EdmSandboxClient.Job> jobsTagged(String tag) {
    return sandbox.jobs().stream().filter(j -> j.tag().equals(tag)).toList();
  }

  private static int chunks(Set<String> members) {
    return (members.size() + CHUNK_SIZE - 1) / CHUNK_SIZE;
  }

  private static long importedChunks(JsonNode booking) {
    return StreamSupport.stream(booking.path("chunks").spliterator(), false)
        .filter(c -> c.path("imported").asLong() >= 0).count();
  }

  /** A chunk whose job is recorded and not imported yet: its number and job id. */
  private static Optional<Map.Entry<Integer, String>> running(JsonNode booking) {
    Map<Integer, String> out = new HashMap<>();
    booking.path("chunks").fields().forEachRemaining(e -> {
      if (e.getValue().path("imported").asLong() < 0) {
        out.put(Integer.parseInt(e.getKey()), e.getValue().path("jobId").asText());
      }
    });
    return out.entrySet().stream().findFirst();
  }
}
