package audience.store;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.devstack.DevStack;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Bootstrap, the runs read model and the quarantine against the emulators. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoresIT {
  private AwsClients aws;
  private Settings settings;

  @BeforeAll
  void start() {
    settings = TestNodes.settings(DevStack.shared(), Map.of());
    aws = AwsClients.create(settings.aws());
  }

  @AfterAll
  void stop() {
    if (aws != null) aws.close();
  }

  @Test
  void bootstrapIsIdempotentAndSubscribesTheQueueOnce() {
    Bootstrap bootstrap = new Bootstrap(aws, settings.resources());
    Bootstrap.Resolved first = bootstrap.run();
    Bootstrap.Resolved again = bootstrap.run();
    assertThat(again).isEqualTo(first);
    for (String table : bootstrap.tableNames()) {
      assertThat(aws.dynamo().describeTable(b -> b.tableName(table)).join().table().tableName()).isEqualTo(table);
    }
    var subscriptions = aws.sns().listSubscriptionsByTopic(b -> b.topicArn(first.triggerTopicArn())).join().subscriptions();
    assertThat(subscriptions).hasSize(1);
    // A message on the trigger topic arrives raw in the queue.
    aws.sns().publish(b -> b.topicArn(first.triggerTopicArn()).message("{\"bucket\":\"b\"}")).join();
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 10 && bodies.isEmpty(); i++) {
      aws.sqs().receiveMessage(b -> b.queueUrl(first.triggerQueueUrl()).waitTimeSeconds(1)).join()
          .messages().forEach(msg -> bodies.add(msg.body()));
    }
    assertThat(bodies).containsExactly("{\"bucket\":\"b\"}");
  }

  @Test
  void theRunsReadModelNeverMovesBackwards() {
    new Bootstrap(aws, settings.resources()).run();
    RunStore runs = new RunStore(aws.dynamo(), settings.resources().runsTable());
    Instant t = Instant.parse("2026-11-26T00:00:00Z");
    runs.write(new RunStore.RunPart("r-1", "bucket", "p/", 10, RunPhase.RUNNING, "p/k5", 10, true, t, ""), 5).join();
    runs.write(new RunStore.RunPart("r-1", "bucket", "p/", 10, RunPhase.RUNNING, "p/k2", 4, false, t, ""), 3).join(); // late
    runs.write(new RunStore.TallyPart("r-1", 7, 1, 2, false, "", null, false), 9).join();
    runs.write(new RunStore.TallyPart("r-1", 3, 0, 1, false, "", null, false), 4).join(); // late
    RunStore.Row row = runs.get("r-1").join().orElseThrow();
    assertThat(row.run().offset()).isEqualTo("p/k5");
    assertThat(row.run().listingDone()).isTrue();
    assertThat(row.tally().ingested()).isEqualTo(7);
    assertThat(runs.unfinished().toCompletableFuture().join()).extracting(r -> r.run().runId()).contains("r-1");
    runs.write(new RunStore.TallyPart("r-1", 9, 1, 2, true, "", t, false), 10).join();
    assertThat(runs.unfinished().toCompletableFuture().join()).as("completed, done event not confirmed sent")
        .extracting(r -> r.run().runId()).contains("r-1");
    runs.write(new RunStore.TallyPart("r-1", 9, 1, 2, true, "", t, true), 11).join();
    assertThat(runs.unfinished().toCompletableFuture().join()).extracting(r -> r.run().runId()).doesNotContain("r-1");
  }

  @Test
  void quarantiningAFileTwiceKeepsOneEntryWithItsReason() {
    new Bootstrap(aws, settings.resources()).run();
    BatchWriter writer = new BatchWriter(aws.dynamo(), settings.ingestion().retry());
    QuarantineStore quarantine = new QuarantineStore(aws.dynamo(), settings.resources().quarantineTable(), writer);
    Instant now = Instant.now();
    var entry = new QuarantineStore.Quarantined("q-run", "b", "k/1.json", "EMPTY", "EMPTY: 0 bytes", now);
    quarantine.write(List.of(entry, entry)).join();
    quarantine.write(List.of(entry, new QuarantineStore.Quarantined("q-run", "b", "k/2.json", "NOT_JSON",
        "NOT_JSON: unexpected character", now))).join();
    assertThat(quarantine.forRun("q-run").join())
        .extracting(QuarantineStore.Quarantined::fileKey, QuarantineStore.Quarantined::reason)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("k/1.json", "EMPTY: 0 bytes"),
            org.assertj.core.groups.Tuple.tuple("k/2.json", "NOT_JSON: unexpected character"));
  }
}
