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

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bootstrap, the runs read model and the quarantine against the emulators. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoresIT {
  private static final Duration RETENTION = Duration.ofDays(7);
  /** Rows of one run: several pages, every shard used. */
  private static final int QUARANTINED = 120;
  private static final int PAGE = 7;
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
    Bootstrap bootstrap = new Bootstrap(aws, settings.resources(), settings.segments().stream());
    Bootstrap.Resolved first = bootstrap.run();
    Bootstrap.Resolved again = bootstrap.run();
    assertThat(again).isEqualTo(first);
    for (String table : bootstrap.tableNames()) {
      assertThat(aws.dynamo().describeTable(b -> b.tableName(table)).join().table().tableName()).isEqualTo(table);
    }
    var stream = aws.kinesis().describeStreamSummary(b -> b.streamName(settings.resources().segmentsStream())).join()
        .streamDescriptionSummary();
    assertThat(stream.streamStatusAsString()).isEqualTo("ACTIVE");
    assertThat(stream.openShardCount()).isEqualTo(settings.segments().stream().shards());
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
    new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
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
    new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
    BatchWriter writer = new BatchWriter(aws.dynamo(), settings.ingestion().retry());
    QuarantineStore quarantine = quarantine();
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

  private QuarantineStore quarantine() {
    return new QuarantineStore(aws.dynamo(), settings.resources().quarantineTable(),
        new BatchWriter(aws.dynamo(), settings.ingestion().retry()), RETENTION);
  }

  @Test
  void aRunsQuarantineIsSpreadOverShardsAndReadInPagesByReason() {
    new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
    QuarantineStore quarantine = quarantine();
    Instant at = Instant.parse("2026-03-01T12:00:00Z");
    List<QuarantineStore.Quarantined> all = new ArrayList<>();
    for (int i = 0; i < QUARANTINED; i++) {
      String kind = i % 3 == 0 ? "NOT_JSON" : "OUT_OF_RANGE";
      all.add(new QuarantineStore.Quarantined("paged-run", "b", String.format("p/f-%03d.json", i), kind,
          kind + ": detail " + i, at));
    }
    for (int i = 0; i < all.size(); i += BatchWriter.MAX_BATCH) {
      quarantine.write(all.subList(i, Math.min(all.size(), i + BatchWriter.MAX_BATCH))).join();
    }
    quarantine.write(all.subList(0, 1)).join(); // again: still one row

    assertThat(readInPages(quarantine, null)).extracting(QuarantineStore.Quarantined::fileKey)
        .containsExactlyElementsOf(all.stream().map(QuarantineStore.Quarantined::fileKey).toList());
    assertThat(readInPages(quarantine, "NOT_JSON")).containsExactlyElementsOf(
        all.stream().filter(q -> q.kind().equals("NOT_JSON")).toList());
    assertThat(readInPages(quarantine, "EMPTY")).isEmpty();
    assertThat(quarantine.forRun("paged-run").join()).containsExactlyElementsOf(all);
    assertThat(quarantine.countsByKind("paged-run").join())
        .containsExactly(Map.entry("NOT_JSON", (long) (QUARANTINED + 2) / 3),
            Map.entry("OUT_OF_RANGE", (long) QUARANTINED - (QUARANTINED + 2) / 3));
    assertThat(quarantine.countsByKind("no-such-run").join()).isEmpty();

    // On the table: more than one partition key for the run, and each row expires RETENTION after it was written.
    Map<String, Long> perPartition = new java.util.concurrent.ConcurrentHashMap<>();
    List<Long> expiries = java.util.Collections.synchronizedList(new ArrayList<>());
    TableScan.scan(aws.dynamo(), quarantine.table(), null, 1, item -> {
      if (!item.get("runId").s().equals("paged-run")) return;
      perPartition.merge(item.get(QuarantineLayout.PARTITION_KEY).s(), 1L, Long::sum);
      expiries.add(Long.parseLong(item.get(QuarantineLayout.EXPIRES_AT).n()));
    }).join();
    assertThat(perPartition.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(QUARANTINED);
    assertThat(perPartition).hasSizeGreaterThan(1);
    assertThat(expiries).containsOnly(at.plus(RETENTION).getEpochSecond());
  }

  private static List<QuarantineStore.Quarantined> readInPages(QuarantineStore quarantine, String kind) {
    List<QuarantineStore.Quarantined> read = new ArrayList<>();
    String after = null;
    do {
      QuarantineStore.Page page = quarantine.page("paged-run", kind, after, PAGE).join();
      assertThat(page.entries()).hasSizeLessThanOrEqualTo(PAGE);
      read.addAll(page.entries());
      after = page.next();
    } while (after != null);
    return read;
  }

  @Test
  void aTableWithAnotherKeySchemaIsRefusedNamingBoth() {
    String table = settings.resources().quarantineTable() + "-old";
    Bootstrap.createTable(aws.dynamo(), Bootstrap.hashKeyLayout(table, "runId"));
    assertThatThrownBy(() -> Bootstrap.createTable(aws.dynamo(), Bootstrap.quarantineLayout(table)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("table " + table + " exists with key schema")
        .hasMessageContaining("AttributeName=runId").hasMessageContaining("AttributeName=pk");
  }

}
