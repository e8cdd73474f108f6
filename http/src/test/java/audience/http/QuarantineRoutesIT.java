package audience.http;

import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.Expectation;
import audience.generator.GeneratedFile;
import audience.generator.GeneratorSpec;
import audience.ingestion.ChunkProcessor;
import audience.ingestion.RunIds;
import audience.service.AudienceNode;
import audience.store.MemberStore;
import audience.testkit.Http;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.async.AsyncRequestBody;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator does with bad files, over real HTTP on a real node against the emulators: a run quarantines some
 * files; its quarantine is summed up by reason and listed in pages (all, or one reason); the sources are fixed in S3
 * (one deleted instead); a redrive runs over exactly those keys, linked to the first run, and ingests the fixed ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuarantineRoutesIT {
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final String PREFIX = "quarantine-a/";
  private static final int FILES = 60;
  private static final int BAD = 14;
  private static final int PAGE = 4;

  private AudienceNode node;
  private Http http;
  private String bucket;
  private DatasetGenerator generator;

  @BeforeAll
  void start() {
    node = AudienceNode.start(TestNodes.settings(DevStack.shared(), Map.of(
        "audience.http.port", 0,
        "audience.ingestion.chunk-size", 10,
        "audience.ingestion.list-page-size", 20)));
    http = OpsTestClients.bind(node);
    bucket = node.settings().resources().rawBucket();
    generator = new DatasetGenerator(new GeneratorSpec(FILES, BAD, 17L, bucket, PREFIX, 0.2));
    new DatasetWriter().write(node.aws().s3(), generator, 8, done -> {}).join();
  }

  @AfterAll
  void stop() {
    if (node != null) node.close();
  }

  @Test
  void badFilesAreSummedListedInPagesFixedAndRedrivenAsALinkedRun() {
    String runId = RunIds.forUpload(bucket, PREFIX, "u-q");
    Http.Reply started = http.post("/ops/ingestions",
        "{\"bucket\":\"%s\",\"prefix\":\"%s\",\"uploadId\":\"u-q\"}".formatted(bucket, PREFIX));
    assertThat(started.status()).as("%s", started).isEqualTo(202);
    awaitCompleted(runId);

    // What the generator made bad, by key and by kind.
    TreeMap<String, String> badKinds = new TreeMap<>();
    IntStream.range(0, FILES).filter(generator::isBad)
        .forEach(i -> badKinds.put(generator.key(i), ((Expectation.Bad) generator.expectation(i)).kind().name()));
    assertThat(badKinds).hasSize(BAD);
    Map<String, Long> byKind = badKinds.values().stream()
        .collect(Collectors.groupingBy(k -> k, TreeMap::new, Collectors.counting()));

    JsonNode summary = ok(http.get("/ops/ingestions/" + runId + "/quarantine/summary"));
    assertThat(summary.path("runId").asText()).isEqualTo(runId);
    assertThat(summary.path("quarantined").asLong()).isEqualTo(BAD);
    assertThat(json(summary.path("byReason"))).isEqualTo(byKind);

    List<JsonNode> all = readInPages(runId, null);
    assertThat(all).extracting(e -> e.path("fileKey").asText()).containsExactlyElementsOf(badKinds.keySet());
    assertThat(all).allSatisfy(e -> {
      assertThat(e.path("kind").asText()).isEqualTo(badKinds.get(e.path("fileKey").asText()));
      assertThat(e.path("reason").asText()).startsWith(e.path("kind").asText() + ": ");
    });
    String oneKind = byKind.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    assertThat(readInPages(runId, oneKind)).extracting(e -> e.path("fileKey").asText())
        .containsExactlyElementsOf(badKinds.entrySet().stream().filter(e -> e.getValue().equals(oneKind))
            .map(Map.Entry::getKey).toList());

    // The sources are fixed: every bad key now holds a valid profile, but one is deleted instead.
    List<String> keys = new ArrayList<>(badKinds.keySet());
    String deleted = keys.get(0);
    node.aws().s3().deleteObject(b -> b.bucket(bucket).key(deleted)).join();
    for (int i = 1; i < keys.size(); i++) fix(keys.get(i), "m-fixed" + i);

    String redriveId = RunIds.forRedrive(runId, 1);
    Http.Reply redrive = http.post("/ops/ingestions/" + runId + "/redrive", "");
    assertThat(redrive.status()).as("%s", redrive).isEqualTo(202);
    assertThat(redrive.body().path("runId").asText()).isEqualTo(redriveId);
    assertThat(redrive.body().path("created").asBoolean()).isTrue();
    assertThat(redrive.body().path("redriveOf").asText()).isEqualTo(runId);
    assertThat(redrive.body().path("expectedFiles").asLong()).isEqualTo(BAD);

    JsonNode done = awaitCompleted(redriveId);
    assertThat(done.path("redriveOf").asText()).isEqualTo(runId);
    assertThat(done.path("listed").asLong()).isEqualTo(BAD);
    assertThat(done.path("ingested").asLong()).isEqualTo(BAD - 1);
    assertThat(done.path("quarantined").asLong()).isEqualTo(1);
    assertThat(done.path("warning").asText()).isEmpty();
    assertThat(json(ok(http.get("/ops/ingestions/" + redriveId + "/quarantine/summary")).path("byReason")))
        .isEqualTo(Map.of(ChunkProcessor.MISSING_OBJECT, 1L));
    assertThat(readInPages(redriveId, null)).singleElement()
        .satisfies(e -> assertThat(e.path("fileKey").asText()).isEqualTo(deleted));
    for (int i = 1; i < keys.size(); i++) {
      var member = node.dependencies().members().current("m-fixed" + i).join().orElseThrow();
      assertThat(member.get(MemberStore.SOURCE_KEY).s()).isEqualTo(keys.get(i));
      assertThat(member.get(MemberStore.RUN_ID).s()).isEqualTo(redriveId);
    }
    // The runs listing links the redrive to its run once the read model caught up.
    JsonNode row = Poll.until("the redrive listed", RUN_TIMEOUT, POLL, () -> rowOf(http.get("/ops/ingestions"), redriveId),
        r -> r != null && r.path("state").asText().equals("completed"));
    assertThat(row.path("redriveOf").asText()).isEqualTo(runId);
    // The first run is untouched: its quarantine still lists what it refused.
    assertThat(ok(http.get("/ops/ingestions/" + runId + "/quarantine/summary")).path("quarantined").asLong())
        .isEqualTo(BAD);
  }

  @Test
  void badQuarantineQueriesAreRefusedWithTheParameterNamed() {
    String runId = RunIds.forUpload(bucket, PREFIX, "u-q");
    assertError(http.get("/ops/ingestions/" + runId + "/quarantine?limit=0"), 400,
        "limit must be an integer from 1 to 1000, got '0'");
    assertError(http.get("/ops/ingestions/" + runId + "/quarantine?limit=many"), 400,
        "limit must be an integer from 1 to 1000, got 'many'");
    assertError(http.get("/ops/ingestions/" + runId + "/quarantine?reason=not-json"), 400,
        "reason must be a rejection kind such as OUT_OF_RANGE ([A-Z][A-Z0-9_]*), got 'not-json'");
    assertError(http.get("/ops/ingestions/" + runId + "/quarantine?after=%25%25"), 400,
        "after must be the next token of a previous page, got '%%'");
    assertError(http.get("/ops/ingestions/run-unknown/quarantine"), 404, "no run run-unknown");
    assertError(http.get("/ops/ingestions/run-unknown/quarantine/summary"), 404, "no run run-unknown");
    assertError(http.post("/ops/ingestions/run-unknown/redrive", ""), 404, "no run run-unknown");
  }

  private JsonNode awaitCompleted(String runId) {
    return Poll.until(runId + " completed", RUN_TIMEOUT, POLL, () -> http.get("/ops/ingestions/" + runId),
        r -> r.status() == 200 && r.body().path("state").asText().equals("completed")).body();
  }

  private List<JsonNode> readInPages(String runId, String reason) {
    List<JsonNode> entries = new ArrayList<>();
    String after = null;
    do {
      JsonNode page = ok(http.get("/" + QuarantineQuery.path(runId, reason, PAGE, after)));
      assertThat(page.path("entries").size()).isLessThanOrEqualTo(PAGE);
      page.path("entries").forEach(entries::add);
      after = page.path("next").isNull() ? null : page.path("next").asText();
    } while (after != null);
    return entries;
  }

  /** A valid profile at {@code key}: a good generated file with another member id, gzipped when the key says so. */
  private void fix(String key, String memberId) {
    GeneratedFile good = IntStream.range(0, FILES).filter(i -> !generator.isBad(i)).mapToObj(generator::file)
        .filter(f -> !f.gzip()).findFirst().orElseThrow();
    String body = new String(good.body(), StandardCharsets.UTF_8)
        .replace(((Expectation.Good) good.expectation()).memberId(), memberId);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    byte[] stored = key.endsWith(".gz") ? DatasetGenerator.gzip(bytes) : bytes;
    node.aws().s3().putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromBytes(stored)).join();
  }

  private static Map<String, Long> json(JsonNode object) {
    Map<String, Long> m = new TreeMap<>();
    object.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
    return m;
  }

  private static JsonNode ok(Http.Reply r) {
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    return r.body();
  }

  private static JsonNode rowOf(Http.Reply list, String runId) {
    return StreamSupport.stream(ok(list).spliterator(), false)
        .filter(n -> n.path("runId").asText().equals(runId)).findFirst().orElse(null);
  }

  private static void assertError(Http.Reply r, int status, String error) {
    assertThat(r.status()).as("%s", r).isEqualTo(status);
    assertThat(r.contentType()).as("%s", r).isEqualTo("application/json");
    assertThat(r.body().path("error").asText()).isEqualTo(error);
  }
}
