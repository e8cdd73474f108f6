package audience.http;

import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.ingestion.RunIds;
import audience.service.AudienceNode;
import audience.testkit.Http;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The /ops endpoints over real HTTP: a real node against the emulators, the routes bound on a free port,
 * requests from java.net.http. Checks status codes, the JSON error shape and what a completed run reports.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpsRoutesIT {
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final String PREFIX = "ops-a/";
  private static final String OWNED_PREFIXES = "ops-*";
  /** Allowed but never created: what the bucket check refuses. */
  private static final String GHOST_BUCKET = "no-such-bucket-here";

  private AudienceNode node;
  private Http http;
  private String bucket;
  private GroundTruth truth;
  private GeneratorSpec spec;

  @BeforeAll
  void start() {
    DevStack devstack = DevStack.shared();
    String namespace = TestNodes.newNamespace();
    String raw = TestNodes.resourceProperties(namespace).get("audience.resources.raw-bucket");
    node = AudienceNode.start(TestNodes.settings(devstack, namespace, Map.of(
        "audience.http.port", 0, // any free port; the binding says which
        "audience.ingestion.chunk-size", 20,
        "audience.ingestion.list-page-size", 50,
        "audience.ingestion.allowed-sources", List.of(
            Map.of("bucket", raw, "prefixes", List.of(OWNED_PREFIXES)),
            Map.of("bucket", GHOST_BUCKET, "prefixes", List.of("*"))))));
    http = OpsTestClients.bind(node);
    bucket = node.settings().resources().rawBucket();
    spec = new GeneratorSpec(200, 11, 42L, bucket, PREFIX, 0.2);
    truth = new DatasetWriter().write(node.aws().s3(), new DatasetGenerator(spec), 8, done -> {}).join();
  }

  @AfterAll
  void stop() {
    if (node != null) node.close(); // unbinds too (coordinated shutdown)
  }

  @Test
  void healthAnswersWithoutAToken() {
    Http.Reply r = http.withoutToken().get("/ops/health");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().path("status").asText()).isEqualTo("ok");
  }

  @Test
  void aValidRequestStartsARunAndTheSameUploadIdAgainStartsNothing() {
    String body = "{\"bucket\":\"%s\",\"prefix\":\"ops-empty/\",\"uploadId\":\"u-dup\"}".formatted(bucket);
    String runId = RunIds.forUpload(bucket, "ops-empty/", "u-dup");

    Http.Reply first = http.post("/ops/ingestions", body);
    assertThat(first.status()).as("%s", first).isEqualTo(202);
    assertThat(first.contentType()).isEqualTo("application/json");
    assertThat(first.body().path("runId").asText()).isEqualTo(runId);
    assertThat(first.body().path("created").asBoolean()).isTrue();
    assertThat(first.body().path("bucket").asText()).isEqualTo(bucket);
    assertThat(first.body().path("prefix").asText()).isEqualTo("ops-empty/");

    Http.Reply again = http.post("/ops/ingestions", body);
    assertThat(again.status()).as("%s", again).isEqualTo(200);
    assertThat(again.body().path("runId").asText()).isEqualTo(runId);
    assertThat(again.body().path("created").isBoolean()).isTrue();
    assertThat(again.body().path("created").asBoolean()).isFalse();
  }

  @Test
  void malformedJsonIsABadRequest() {
    Http.Reply r = http.post("/ops/ingestions", "{\"bucket\": ");
    assertError(r, 400);
    assertThat(r.body().path("error").asText()).startsWith("invalid ingestion request: not JSON");
  }

  @Test
  void aMissingBucketIsABadRequestNamingTheBucket() {
    Http.Reply r = http.post("/ops/ingestions", "{\"prefix\":\"x/\",\"uploadId\":\"u-nobucket\"}");
    assertError(r, 400);
    assertThat(r.body().path("error").asText()).startsWith("invalid ingestion request: ").contains("bucket");
  }

  @Test
  void aBucketThatDoesNotExistIsRefusedBeforeAnyRunStarts() {
    Http.Reply r = http.post("/ops/ingestions", "{\"bucket\":\"%s\",\"uploadId\":\"u-ghost\"}".formatted(GHOST_BUCKET));
    assertError(r, 400);
    assertThat(r.body().path("error").asText()).isEqualTo("bucket no-such-bucket-here does not exist");
    assertError(http.get("/ops/ingestions/" + RunIds.forUpload("no-such-bucket-here", "", "u-ghost")), 404);
  }

  @Test
  void aSourceTheServiceDoesNotOwnIsRefusedBeforeAnyRunStarts() {
    Http.Reply prefix = http.post("/ops/ingestions",
        "{\"bucket\":\"%s\",\"prefix\":\"private/\",\"uploadId\":\"u-private\"}".formatted(bucket));
    assertError(prefix, 400);
    assertThat(prefix.body().path("error").asText()).isEqualTo("s3://" + bucket + "/private/ is not a source this "
        + "service ingests: prefix 'private/' matches none of the patterns allowed for bucket " + bucket + " [ops-*]");
    assertError(http.get("/ops/ingestions/" + RunIds.forUpload(bucket, "private/", "u-private")), 404);

    Http.Reply foreign = http.post("/ops/ingestions", "{\"bucket\":\"someone-elses\",\"uploadId\":\"u-foreign\"}");
    assertError(foreign, 400);
    assertThat(foreign.body().path("error").asText()).isEqualTo("s3://someone-elses/ is not a source this service "
        + "ingests: bucket someone-elses is not in audience.ingestion.allowed-sources (allowed buckets: " + bucket
        + ", " + GHOST_BUCKET + ")");
  }

  @Test
  void aNegativeExpectedCountIsABadRequest() {
    Http.Reply r = http.post("/ops/ingestions",
        "{\"bucket\":\"%s\",\"prefix\":\"x/\",\"expectedFiles\":-3,\"uploadId\":\"u-neg\"}".formatted(bucket));
    assertError(r, 400);
    assertThat(r.body().path("error").asText()).contains("expectedFiles").contains("-3");
    // and no run was started under that upload id
    assertError(http.get("/ops/ingestions/" + RunIds.forUpload(bucket, "x/", "u-neg")), 404);
  }

  @Test
  void anUnknownRunIsNotFound() {
    Http.Reply r = http.get("/ops/ingestions/run-doesnotexist");
    assertError(r, 404);
    assertThat(r.body().path("error").asText()).isEqualTo("no run run-doesnotexist");
    assertError(http.post("/ops/ingestions/run-doesnotexist/pause", ""), 404);
  }

  @Test
  void aMalformedRunIdIsABadRequest() {
    Http.Reply r = http.get("/ops/ingestions/not%20a%20run%20id");
    assertError(r, 400);
    assertThat(r.body().path("error").asText()).contains("not a run id");
  }

  @Test
  void aCompletedRunReportsItsCountsIsListedAndCannotBePaused() {
    String runId = RunIds.forUpload(bucket, PREFIX, "u-a");
    Http.Reply started = http.post("/ops/ingestions",
        "{\"bucket\":\"%s\",\"prefix\":\"%s\",\"expectedFiles\":%d,\"uploadId\":\"u-a\"}"
            .formatted(bucket, PREFIX, spec.files()));
    assertThat(started.status()).as("%s", started).isEqualTo(202);
    assertThat(started.body().path("runId").asText()).isEqualTo(runId);

    JsonNode status = Poll.until("completed", RUN_TIMEOUT, POLL, () -> http.get("/ops/ingestions/" + runId),
        r -> r.status() == 200 && r.body().path("state").asText().equals("completed")).body();
    assertThat(status.path("runId").asText()).isEqualTo(runId);
    assertThat(status.path("bucket").asText()).isEqualTo(bucket);
    assertThat(status.path("prefix").asText()).isEqualTo(PREFIX);
    assertThat(status.path("expectedFiles").asLong()).isEqualTo(spec.files());
    assertThat(status.path("listingFinished").asBoolean()).isTrue();
    assertThat(status.path("listed").asLong()).isEqualTo(spec.files());
    assertThat(status.path("settled").asLong()).isEqualTo(spec.files());
    assertThat(status.path("ingested").asLong()).isEqualTo(truth.expectedValidFiles());
    assertThat(status.path("quarantined").asLong()).isEqualTo(truth.expectedQuarantined()).isEqualTo(11);
    assertThat(status.path("warning").asText()).isEmpty();
    assertThat(status.path("etaSeconds").asLong()).isZero();
    assertThat(status.path("completedAt").asText()).isNotEmpty();

    // The read model is written asynchronously: wait until the list shows the run finished and completed.
    JsonNode row = Poll.until("listed as finished", RUN_TIMEOUT, POLL, () -> rowOf(http.get("/ops/ingestions"), runId),
        n -> n != null && n.path("state").asText().equals("completed"));
    assertThat(row.path("bucket").asText()).isEqualTo(bucket);
    assertThat(row.path("prefix").asText()).isEqualTo(PREFIX);
    assertThat(row.path("listed").asLong()).isEqualTo(spec.files());
    assertThat(row.path("ingested").asLong()).isEqualTo(truth.expectedValidFiles());
    assertThat(row.path("quarantined").asLong()).isEqualTo(truth.expectedQuarantined());

    Http.Reply pause = http.post("/ops/ingestions/" + runId + "/pause", "");
    assertError(pause, 409);
    assertThat(pause.body().path("error").asText()).isEqualTo("run " + runId + " is completed; it cannot be paused");
    // refusing changed nothing
    assertThat(http.get("/ops/ingestions/" + runId).body().path("state").asText()).isEqualTo("completed");
  }

  @Test
  void jvmFiguresAreReported() {
    Http.Reply r = http.get("/ops/jvm");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().path("heapPeakMb").asLong()).isPositive();
    assertThat(r.body().path("heapMaxMb").asLong()).isPositive();
    assertThat(r.body().has("heapUsedMb")).isTrue();
    assertThat(r.body().has("heapAfterGcMb")).isTrue();
  }

  private static JsonNode rowOf(Http.Reply list, String runId) {
    assertThat(list.status()).as("%s", list).isEqualTo(200);
    assertThat(list.body().isArray()).as("%s", list).isTrue();
    return StreamSupport.stream(list.body().spliterator(), false)
        .filter(n -> n.path("runId").asText().equals(runId)).findFirst().orElse(null);
  }

  private static void assertError(Http.Reply r, int status) {
    assertThat(r.status()).as("%s", r).isEqualTo(status);
    assertThat(r.contentType()).as("%s", r).isEqualTo("application/json");
    assertThat(r.body().path("status").asInt()).as("%s", r).isEqualTo(status);
    assertThat(r.body().path("error").isTextual()).as("%s", r).isTrue();
  }
}
