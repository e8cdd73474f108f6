package audience.local;

import audience.aws.AwsClients;
import audience.config.Settings;
import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.Expectation;
import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.ingestion.IngestionDone;
import audience.ingestion.RunIds;
import audience.ingestion.RunSpec;
import audience.local.ServiceProcess;
import audience.service.AudienceNode;
import audience.store.BatchWriter;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.store.RunAudit;
import audience.store.TableScan;
import audience.testkit.Http;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service is killed with SIGKILL in the middle of a run and started again: the new process wakes the
 * run by itself (no new request), resumes after the persisted offset, redoes at most the in-flight window and
 * ends with exactly what an uninterrupted run of the same files ends with: every file once, as a member
 * snapshot or in quarantine, and the counts of the data set's ground truth.
 *
 * <p>The service runs in a child JVM ({@link ServiceProcess}) against the shared devstack, which lives in this
 * JVM and keeps its data across the kill. The reference run (same S3 objects, its own tables) runs in a node
 * inside this JVM: a second run over the same files into the same members table would overwrite the first
 * run's items (same memberId and lastActive), so the two runs cannot share tables.
 */
class CrashRecoveryIT {
  private static final int FILES = 6_000;
  private static final int BAD_FILES = 60;
  private static final int CHUNK = 50;
  private static final int WINDOW = 4;
  private static final int PAGE = 200;
  private static final double KILL_AT = 0.4;
  private static final String PREFIX = "crash/";
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(8);

  @Test
  @Timeout(value = 25, unit = TimeUnit.MINUTES)
  void aKilledServiceResumesTheRunAndEndsExactlyLikeAnUninterruptedRun() throws Exception {
    DevStack devstack = DevStack.shared();
    String namespace = TestNodes.newNamespace() + "-crash";
    Path home = Path.of("target", namespace).toAbsolutePath();
    devstack.endpoints().write(home.resolve("endpoints.json"));

    Map<String, String> props = new LinkedHashMap<>(TestNodes.resourceProperties(namespace));
    props.put("audience.ingestion.chunk-size", String.valueOf(CHUNK));
    props.put("audience.ingestion.max-chunks-in-flight", String.valueOf(WINDOW));
    props.put("audience.ingestion.list-page-size", String.valueOf(PAGE));
    props.put("audience.trigger.wait-time", "1s");
    Map<String, String> childProps = new LinkedHashMap<>(props);
    childProps.put("logback.configurationFile", resource("/logback-service-process.xml").toString());

    // The test's own view of the child's resources (same names), to write the data set and read the stores back.
    Settings settings = TestNodes.settings(devstack, namespace, props);
    String bucket = settings.resources().rawBucket();
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(FILES, BAD_FILES, 2024L, bucket, PREFIX, 0.1));
    List<String> sortedKeys = new ArrayList<>(FILES);
    for (int i = 0; i < FILES; i++) sortedKeys.add(generator.key(i));
    Collections.sort(sortedKeys); // the order S3 lists them in

    Path log1 = home.resolve("service-1.log");
    Path log2 = home.resolve("service-2.log");
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      CompletableFuture<GroundTruth> written = new DatasetWriter().write(aws.s3(), generator, 16, n -> {});
      ServiceProcess first = ServiceProcess.start(home, childProps, "512m", log1);
      GroundTruth truth;
      String runId;
      long settledBeforeKill;
      try {
        truth = written.join();
        Http ops = OperatorHttp.of(first.url());
        Http.Reply started = ops.post("/ops/ingestions",
            "{\"bucket\":\"%s\",\"prefix\":\"%s\",\"expectedFiles\":%d,\"uploadId\":\"crash-1\"}"
                .formatted(bucket, PREFIX, FILES));
        assertThat(started.status()).as("%s", started).isEqualTo(202);
        runId = started.body().path("runId").asText();
        assertThat(runId).isEqualTo(RunIds.forUpload(bucket, PREFIX, "crash-1"));

        // Along the way, how far the settled count runs ahead of the committed offset (informational: the
        // offset and the count are read from two entities one after the other).
        long[] widestGap = {0};
        JsonNode atKill = Poll.until("settled " + KILL_AT * 100 + "%", RUN_TIMEOUT, Duration.ofMillis(50),
            () -> ops.get("/ops/ingestions/" + runId),
            r -> {
              if (r.status() != 200) return false;
              widestGap[0] = Math.max(widestGap[0], r.body().path("settled").asLong()
                  - committedThrough(sortedKeys, r.body().path("offset").asText()));
              return r.body().path("settled").asLong() >= KILL_AT * FILES;
            }).body();
        first.kill();
        settledBeforeKill = atKill.path("settled").asLong();
        System.out.printf("crash test: killed at settled=%d (widest settled-committed gap seen: %d files)%n",
            settledBeforeKill, widestGap[0]);
        assertThat(atKill.path("state").asText()).as("killed while running: %s", atKill).isEqualTo("running");
        assertThat(settledBeforeKill).as("killed before the end").isLessThan(FILES);
      } finally {
        first.kill(); // no-op when already dead
      }
      assertThat(Files.readString(log1)).as("the first process never completed the run")
          .contains("run " + runId + " started").doesNotContain("run " + runId + " completed");

      ServiceProcess second = ServiceProcess.start(home, childProps, "512m", log2);
      JsonNode done;
      Matcher recovered;
      try {
        // No request touches the run before it has recovered: the node wakes it from the runs table by itself.
        Pattern line = Pattern.compile("run " + Pattern.quote(runId)
            + " recovered running: resuming after '([^']*)' \\(chunk (\\d+), (\\d+) files committed\\)");
        recovered = Poll.until("recovered (see " + log2 + ")", RUN_TIMEOUT, Duration.ofMillis(100),
            () -> line.matcher(read(log2)), Matcher::find);
        Http ops = OperatorHttp.of(second.url());
        done = Poll.until("completed after the restart", RUN_TIMEOUT, Duration.ofMillis(250),
            () -> ops.get("/ops/ingestions/" + runId),
            r -> r.status() == 200 && r.body().path("state").asText().equals("completed")).body();
      } finally {
        second.close();
      }

      // Resumed where the journal said, and redid at most the in-flight window.
      String offset = recovered.group(1);
      long nextChunk = Long.parseLong(recovered.group(2));
      long committed = Long.parseLong(recovered.group(3));
      assertThat(committed).as("files committed before the kill").isPositive().isLessThan(FILES)
          .isEqualTo(nextChunk * CHUNK);
      assertThat(offset).as("the offset is the last key of the committed chunks")
          .isEqualTo(sortedKeys.get((int) committed - 1));
      System.out.printf("crash test: resumed after %d committed files (chunk %d); redone at most %d files%n",
          committed, nextChunk, settledBeforeKill - committed);
      assertThat(settledBeforeKill - committed).as("settled before the kill (%d) minus committed (%d)",
          settledBeforeKill, committed).isLessThanOrEqualTo((long) CHUNK * WINDOW);
      assertThat(Pattern.compile("run " + Pattern.quote(runId) + " recovered").matcher(read(log2)).results().count())
          .as("one recovery").isEqualTo(1);

      // The status: every file counted once, counts of the ground truth.
      assertThat(done.path("listed").asLong()).isEqualTo(FILES);
      assertThat(done.path("settled").asLong()).isEqualTo(FILES);
      assertThat(done.path("ingested").asLong()).isEqualTo(truth.expectedValidFiles());
      assertThat(done.path("quarantined").asLong()).isEqualTo(truth.expectedQuarantined()).isEqualTo(BAD_FILES);
      assertThat(done.path("warning").asText()).as("expected count matched").isEmpty();

      // The stores: every listed key exactly once, as a member snapshot of this run or in its quarantine.
      Stores crash = new Stores(aws, settings);
      RunAudit.Result audit = crash.audit(bucket, runId);
      assertThat(audit.lost()).as("lost, e.g. %s", audit.lostSample()).isZero();
      assertThat(audit.doubled()).isZero();
      assertThat(audit.listed()).isEqualTo(FILES);
      assertThat(audit.ingested()).isEqualTo(truth.expectedValidFiles()).isEqualTo(done.path("ingested").asLong());
      assertThat(audit.quarantined()).isEqualTo(truth.expectedQuarantined())
          .isEqualTo(done.path("quarantined").asLong());

      List<Map<String, AttributeValue>> items = crash.members();
      assertThat(items).as("every item names its run and file")
          .allSatisfy(i -> {
            assertThat(i.get(MemberStore.RUN_ID).s()).isEqualTo(runId);
            assertThat(i.get(MemberStore.SOURCE_KEY).s()).startsWith(PREFIX);
          });
      assertThat(items).as("one current item per member").hasSize((int) truth.distinctMembers());
      List<Map<String, AttributeValue>> files = crash.memberFiles();
      assertThat(files).as("one member-files row per valid file").hasSize((int) truth.expectedValidFiles());
      assertThat(files.stream().map(i -> i.get(MemberStore.SOURCE_KEY).s()).collect(Collectors.toSet()))
          .isEqualTo(goodKeys(generator));
      assertThat(files).allSatisfy(i -> assertThat(i.get(MemberStore.RUN_ID).s()).isEqualTo(runId));
      Map<String, Instant> newest = generator.expectedNewest();
      assertThat(items).as("each member's newest snapshot is current").allSatisfy(i -> assertThat(
          Long.parseLong(i.get(MemberStore.LAST_ACTIVE).n())).isEqualTo(newest.get(i.get(MemberStore.MEMBER_ID).s())
          .toEpochMilli()));
      List<QuarantineStore.Quarantined> quarantined = crash.quarantine.forRun(runId).join();
      assertThat(kinds(quarantined)).isEqualTo(truth.quarantinedByKind().entrySet().stream()
          .collect(Collectors.toMap(e -> e.getKey().name(), Map.Entry::getValue)));

      // The same files ingested by a run nobody interrupts end the same way.
      Reference reference = referenceRun(devstack, bucket, props);
      assertThat(reference.done().listed()).isEqualTo(FILES);
      assertThat(reference.done().ingested()).isEqualTo(done.path("ingested").asLong());
      assertThat(reference.done().quarantined()).isEqualTo(done.path("quarantined").asLong());
      assertThat(List.of(reference.audit().listed(), reference.audit().ingested(), reference.audit().quarantined(),
          reference.audit().lost(), reference.audit().doubled()))
          .isEqualTo(List.of(audit.listed(), audit.ingested(), audit.quarantined(), audit.lost(), audit.doubled()));
      assertThat(reference.members()).as("member items, run id aside").hasSize(items.size())
          .isEqualTo(withoutRunId(items));
      assertThat(reference.quarantine()).as("quarantine entries").isEqualTo(quarantineEntries(quarantined));
    }
  }

  /** What an uninterrupted run over the same S3 objects wrote, into tables of its own. */
  private record Reference(IngestionDone done, RunAudit.Result audit, Set<Map<String, AttributeValue>> members,
                           Set<List<String>> quarantine) {}

  private static Reference referenceRun(DevStack devstack, String bucket, Map<String, String> props) {
    Map<String, String> ingestion = new HashMap<>(props);
    // tables of its own, the crash run's bucket (its raw bucket, so the one allowed source)
    ingestion.keySet().removeIf(k -> k.startsWith("audience.resources.") && !k.equals("audience.resources.raw-bucket"));
    try (AudienceNode node = AudienceNode.start(TestNodes.settings(devstack, ingestion))) {
      TestProbe<IngestionDone> probe = TestProbe.create(node.system());
      node.wiring().doneTopic().tell(Topic.subscribe(probe.getRef()));
      String runId = RunIds.forUpload(bucket, PREFIX, "reference");
      assertThat(node.wiring().ingestion().start(new RunSpec(runId, bucket, PREFIX, FILES, "test"))
          .toCompletableFuture().join().created()).isTrue();
      IngestionDone done = probe.expectMessageClass(IngestionDone.class, RUN_TIMEOUT);
      assertThat(done.runId()).isEqualTo(runId);
      Stores stores = new Stores(node.aws(), node.settings());
      List<Map<String, AttributeValue>> items = stores.members();
      assertThat(items).allSatisfy(i -> assertThat(i.get(MemberStore.RUN_ID).s()).isEqualTo(runId));
      return new Reference(done, stores.audit(bucket, runId), withoutRunId(items),
          quarantineEntries(stores.quarantine.forRun(runId).join()));
    }
  }

  /** The members and quarantine tables of one namespace. */
  private static final class Stores {
    final AwsClients aws;
    final MemberStore members;
    final QuarantineStore quarantine;

    Stores(AwsClients aws, Settings settings) {
      this.aws = aws;
      BatchWriter writer = new BatchWriter(aws.dynamo(), settings.ingestion().retry());
      this.members = MemberStore.of(aws.dynamo(), settings, Clock.systemUTC());
      this.quarantine = new QuarantineStore(aws.dynamo(), settings.resources().quarantineTable(), writer,
          settings.ingestion().quarantineRetention());
    }

    RunAudit.Result audit(String bucket, String runId) {
      return RunAudit.audit(aws.s3(), aws.dynamo(), members, quarantine, bucket, PREFIX, runId);
    }

    /** Every current member item (only one run writes to the table). */
    List<Map<String, AttributeValue>> members() {
      return scan(members.tables().members());
    }

    /** Every member-files row: which file gave which snapshot. */
    List<Map<String, AttributeValue>> memberFiles() {
      return scan(members.tables().memberFiles());
    }

    private List<Map<String, AttributeValue>> scan(String table) {
      List<Map<String, AttributeValue>> items = Collections.synchronizedList(new ArrayList<>());
      TableScan.scan(aws.dynamo(), table, null, 2, items::add).join();
      return new ArrayList<>(items);
    }
  }

  private static Set<Map<String, AttributeValue>> withoutRunId(List<Map<String, AttributeValue>> items) {
    Set<Map<String, AttributeValue>> out = new HashSet<>();
    for (Map<String, AttributeValue> item : items) {
      Map<String, AttributeValue> copy = new HashMap<>(item);
      copy.remove(MemberStore.RUN_ID);
      assertThat(out.add(copy)).as("no duplicate item %s", copy).isTrue();
    }
    return out;
  }

  private static Set<List<String>> quarantineEntries(List<QuarantineStore.Quarantined> entries) {
    Set<List<String>> out = new HashSet<>();
    for (QuarantineStore.Quarantined q : entries) {
      assertThat(out.add(List.of(q.bucket(), q.fileKey(), q.kind(), q.reason()))).as("once: %s", q).isTrue();
    }
    return out;
  }

  private static Map<String, Long> kinds(List<QuarantineStore.Quarantined> entries) {
    return entries.stream().collect(Collectors.groupingBy(QuarantineStore.Quarantined::kind, TreeMap::new,
        Collectors.counting()));
  }

  private static Set<String> goodKeys(DatasetGenerator generator) {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < generator.files(); i++) {
      if (generator.expectation(i) instanceof Expectation.Good) keys.add(generator.key(i));
    }
    return keys;
  }

  /** Files up to and including {@code offset} in listing order (0 for the empty offset of a fresh run). */
  private static long committedThrough(List<String> sortedKeys, String offset) {
    if (offset.isEmpty()) return 0;
    int i = Collections.binarySearch(sortedKeys, offset);
    assertThat(i).as("offset %s is a listed key", offset).isNotNegative();
    return i + 1;
  }

  private static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path resource(String name) {
    try {
      return Path.of(CrashRecoveryIT.class.getResource(name).toURI()).toAbsolutePath();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
