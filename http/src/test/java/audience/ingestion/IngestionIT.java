package audience.ingestion;

import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.service.AudienceNode;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.store.RunAudit;
import audience.store.RunPhase;
import audience.testkit.TestNodes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole ingestion against the emulators: SNS trigger (delivered twice), listing over several pages,
 * sharded workers, DynamoDB members and quarantine, the done event; checked by reading the stores back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngestionIT {
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);
  private AudienceNode node;
  private DevStack devstack;

  @BeforeAll
  void start() {
    devstack = DevStack.shared();
    // Small pages and chunks so a few thousand files cross many page and chunk boundaries.
    node = AudienceNode.start(TestNodes.settings(devstack, Map.of(
        "audience.ingestion.list-page-size", 250,
        "audience.ingestion.chunk-size", 40)));
  }

  @AfterAll
  void stop() {
    if (node != null) node.close();
  }

  private TestProbe<IngestionDone> doneProbe() {
    TestProbe<IngestionDone> probe = TestProbe.create(node.system());
    node.wiring().doneTopic().tell(Topic.subscribe(probe.getRef()));
    return probe;
  }

  private String publish(String body) {
    return node.aws().sns().publish(b -> b.topicArn(node.dependencies().resources().triggerTopicArn()).message(body))
        .join().messageId();
  }

  @Test
  void aTriggerDeliveredTwiceIngestsEveryFileOnceAndFiresDoneOnce() {
    String bucket = node.settings().resources().rawBucket();
    GeneratorSpec spec = new GeneratorSpec(3_000, 60, 7L, bucket, "batch-a/", 0.1);
    DatasetGenerator generator = new DatasetGenerator(spec);
    GroundTruth truth = new DatasetWriter().write(node.aws().s3(), generator, 32, done -> {}).join();
    // Awkward keys: spaces and non-ASCII characters, valid content.
    var good = generator.file(firstGood(generator));
    for (String odd : new String[] {"batch-a/odd/with space.json", "batch-a/odd/Café-ü.json"}) {
      node.aws().s3().putObject(b -> b.bucket(bucket).key(odd), AsyncRequestBody.fromBytes(
          new String(good.body(), java.nio.charset.StandardCharsets.UTF_8)
              .replace(memberIdOf(good), memberIdOf(good) + (odd.contains("space") ? "sp" : "nx"))
              .getBytes(java.nio.charset.StandardCharsets.UTF_8))).join();
    }
    TestProbe<IngestionDone> probe = doneProbe();

    String message = "{\"bucket\":\"%s\",\"prefix\":\"batch-a/\",\"expectedFiles\":%d,\"uploadId\":\"u-1\"}"
        .formatted(bucket, spec.files() + 2);
    publish(message);
    publish(message);

    IngestionDone done = probe.expectMessageClass(IngestionDone.class, RUN_TIMEOUT);
    String runId = RunIds.forUpload(bucket, "batch-a/", "u-1");
    assertThat(done.runId()).isEqualTo(runId);
    assertThat(done.listed()).isEqualTo(spec.files() + 2);
    assertThat(done.quarantined()).isEqualTo(truth.expectedQuarantined());
    assertThat(done.ingested()).isEqualTo(truth.expectedValidFiles() + 2);
    assertThat(done.warning()).isEmpty();

    var deps = node.dependencies();
    RunAudit.Result audit = RunAudit.audit(node.aws().s3(), node.aws().dynamo(), deps.members(), deps.quarantine(),
        bucket, "batch-a/", runId);
    assertThat(audit.lost()).as("lost keys, e.g. %s", audit.lostSample()).isZero();
    assertThat(audit.doubled()).isZero();
    assertThat(audit.ingested()).isEqualTo(truth.expectedValidFiles() + 2);
    assertThat(audit.quarantined()).isEqualTo(truth.expectedQuarantined());

    // Every quarantined file carries the precise reason the generator meant it to have.
    var reasons = deps.quarantine().forRun(runId).join();
    assertThat(reasons).allSatisfy(q -> assertThat(q.reason()).startsWith(q.kind() + ": "));
    for (QuarantineStore.Quarantined q : reasons) {
      int index = indexOf(generator, q.fileKey());
      assertThat(generator.expectation(index)).isInstanceOf(audience.generator.Expectation.Bad.class);
      assertThat(((audience.generator.Expectation.Bad) generator.expectation(index)).kind().name()).isEqualTo(q.kind());
    }

    // Newest lastActive wins for members that appear in several files.
    Map<String, Instant> newest = generator.expectedNewest();
    assertThat(done.dataTime()).as("the run's data time: the newest lastActive of its files")
        .isEqualTo(newest.values().stream().max(Instant::compareTo).orElseThrow());
    newest.entrySet().stream().limit(300).forEach(e -> {
      var item = deps.members().current(e.getKey()).join().orElseThrow();
      assertThat(Long.parseLong(item.get(MemberStore.LAST_ACTIVE).n())).isEqualTo(e.getValue().toEpochMilli());
    });

    // The second delivery started nothing new, and the done event fired once.
    probe.expectNoMessage(Duration.ofSeconds(2));
    var status = node.wiring().ingestion().require(runId).toCompletableFuture().join();
    assertThat(status.state()).isEqualTo(RunPhase.COMPLETED);
    assertThat(status.settled()).isEqualTo(spec.files() + 2);

    // The runs read model (what a restarted node reads to wake unfinished runs) caught up with both entities.
    var probeRow = TestProbe.create(node.system());
    probeRow.awaitAssert(RUN_TIMEOUT, () -> {
      var row = deps.runs().get(runId).join().orElseThrow();
      assertThat(row.run().phase()).isEqualTo(RunPhase.COMPLETED);
      assertThat(row.run().bucket()).isEqualTo(bucket);
      assertThat(row.run().listed()).isEqualTo(spec.files() + 2);
      assertThat(row.tally().completed()).isTrue();
      assertThat(row.tally().ingested()).isEqualTo(truth.expectedValidFiles() + 2);
      return null;
    });
    assertThat(deps.runs().unfinished().toCompletableFuture().join()).noneMatch(r -> r.run().runId().equals(runId));
  }

  @Test
  void anEmptyPrefixCompletesAtOnceAndAnExpectedCountMismatchWarns() {
    TestProbe<IngestionDone> probe = doneProbe();
    String bucket = node.settings().resources().rawBucket();
    var started = node.wiring().ingestion().start(new RunSpec("empty-run", bucket, "nothing-here/", 5, "test"))
        .toCompletableFuture().join();
    assertThat(started.created()).isTrue();
    IngestionDone done = probe.expectMessageClass(IngestionDone.class, RUN_TIMEOUT);
    assertThat(done.runId()).isEqualTo("empty-run");
    assertThat(done.listed()).isZero();
    assertThat(done.warning()).isEqualTo("expected 5 files, listed 0");
  }

  @Test
  void aValidFileTooLargeForOneDynamoDbItemIsQuarantinedNotRetriedForever() throws Exception {
    String bucket = node.settings().resources().rawBucket();
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(10, 0, 3L, bucket, "big/", 0.0));
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var good = generator.file(firstGood(generator));
    var tree = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(good.body());
    var activity = tree.putArray("activity");
    for (int i = 0; i < 6_000; i++) {
      activity.addObject().put("type", "view").put("listingId", "listing-" + "x".repeat(60) + i)
          .put("at", "2025-06-01T10:00:00Z");
    }
    byte[] big = json.writeValueAsBytes(tree);
    assertThat(big.length).isBetween(400 * 1024, 1024 * 1024); // valid by the contract's size limit
    node.aws().s3().putObject(b -> b.bucket(bucket).key("big/a-big.json"), AsyncRequestBody.fromBytes(big)).join();
    node.aws().s3().putObject(b -> b.bucket(bucket).key("big/b-normal.json"), AsyncRequestBody.fromBytes(good.body())).join();
    TestProbe<IngestionDone> probe = doneProbe();
    node.wiring().ingestion().start(new RunSpec("big-run", bucket, "big/", 2, "test")).toCompletableFuture().join();
    IngestionDone done = probe.fishForMessage(RUN_TIMEOUT, m -> m.runId().equals("big-run")
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
    assertThat(done.ingested()).isEqualTo(1);
    assertThat(done.quarantined()).isEqualTo(1);
    var q = node.dependencies().quarantine().forRun("big-run").join();
    assertThat(q).singleElement().satisfies(e -> {
      assertThat(e.fileKey()).isEqualTo("big/a-big.json");
      assertThat(e.reason()).startsWith("OVERSIZE: record of about").contains("item limit");
    });
  }

  @Test
  void aTriggerForASourceNotAllowedIsDroppedWithoutARun() {
    String url = node.dependencies().resources().triggerQueueUrl();
    // Straight into the queue (as SNS raw delivery would put it), so it is there before the polling starts.
    node.aws().sqs().sendMessage(b -> b.queueUrl(url)
        .messageBody("{\"bucket\":\"someone-elses\",\"prefix\":\"x/\",\"uploadId\":\"u-foreign\"}")).join();
    TestProbe<Object> probe = TestProbe.create(node.system());
    probe.awaitAssert(RUN_TIMEOUT, () -> {
      var attributes = node.aws().sqs().getQueueAttributes(b -> b.queueUrl(url).attributeNames(
          QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
          QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).join().attributes();
      assertThat(attributes).as("deleted from the queue, not left for redelivery")
          .containsEntry(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, "0")
          .containsEntry(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, "0");
      return null;
    });
    assertThat(node.wiring().ingestion().status(RunIds.forUpload("someone-elses", "x/", "u-foreign"))
        .toCompletableFuture().join()).isEmpty();
  }

  private static int firstGood(DatasetGenerator g) {
    int i = 0;
    while (g.isBad(i) || g.file(i).gzip()) i++;
    return i;
  }

  private static String memberIdOf(audience.generator.GeneratedFile f) {
    return ((audience.generator.Expectation.Good) f.expectation()).memberId();
  }

  private static int indexOf(DatasetGenerator g, String key) {
    for (int i = 0; i < g.files(); i++) if (g.key(i).equals(key)) return i;
    throw new AssertionError("not a generated key: " + key);
  }
}
