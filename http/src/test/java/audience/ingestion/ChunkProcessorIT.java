package audience.ingestion;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.devstack.DevStack;
import audience.service.Guardian;
import audience.store.BatchWriter;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.testkit.TestNodes;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.async.AsyncRequestBody;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The worker's path for one chunk against the emulators: each file's fate is its own. Files that pass the contract
 * but cannot be stored, and objects gone since the listing, are quarantined alone while the rest of the chunk is
 * stored; a store that is down fails the chunk (nobody's file) instead of quarantining its files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChunkProcessorIT {
  private ActorTestKit testKit;
  private AwsClients aws;
  private Settings settings;
  private QuarantineStore quarantine;
  private String bucket;

  @BeforeAll
  void start() {
    settings = TestNodes.settings(DevStack.shared(), Map.of("audience.ingestion.retry.max-attempts", 2,
        "audience.ingestion.retry.min-backoff", "5ms", "audience.ingestion.retry.max-backoff", "20ms"));
    aws = AwsClients.create(settings.aws());
    new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
    quarantine = new QuarantineStore(aws.dynamo(), settings.resources().quarantineTable(),
        new BatchWriter(aws.dynamo(), settings.ingestion().retry()), settings.ingestion().quarantineRetention());
    bucket = settings.resources().rawBucket();
    testKit = ActorTestKit.create("chunks");
  }

  @AfterAll
  void stop() {
    if (testKit != null) testKit.shutdownTestKit();
    if (aws != null) aws.close();
  }

  private ChunkProcessor processor(MemberStore members) {
    return new ChunkProcessor(aws.s3(), Guardian.contractParser(settings.ingestion(), Clock.systemUTC()), members, quarantine,
        settings.ingestion(), Materializer.createMaterializer(testKit.system()), Clock.systemUTC());
  }

  private static String file(String memberId, String suburb) {
    return """
        {"memberId":"%s","email":"%s@example.com","optIn":true,"suburb":"%s","postcode":"2026","state":"NSW",
         "intent":"buy","propertyType":"house","bedrooms":3,"priceMin":1000000,"priceMax":2000000,
         "lastActive":"2026-11-01T10:00:00Z"}""".formatted(memberId, memberId, suburb);
  }

  private FileRef put(String key, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    aws.s3().putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromBytes(bytes)).join();
    return new FileRef(key, bytes.length);
  }

  @Test
  void filesThatCannotBeStoredOrReadAreQuarantinedAloneAndTheRestIsStored() {
    List<FileRef> files = new ArrayList<>();
    for (int i = 0; i < 8; i++) files.add(put("own/good-" + i + ".json", file("m-owngood" + i, "Bondi")));
    // valid by the contract, but 450,000 bytes of suburb in UTF-8: more than a DynamoDB item holds
    files.add(put("own/huge.json", file("m-ownhuge", "€".repeat(150_000))));
    files.add(new FileRef("own/gone.json", 100)); // listed, then deleted before it was read

    ChunkProcessor.Outcome outcome = processor(MemberStore.of(aws.dynamo(), settings, Clock.systemUTC()))
        .process(new FileWorker.ProcessChunk("run-own", bucket, 0, 1L, 1, files)).toCompletableFuture().join();

    assertThat(outcome).as("the newest lastActive of the stored files is the chunk's data time")
        .isEqualTo(new ChunkProcessor.Outcome(8, 2, java.time.Instant.parse("2026-11-01T10:00:00Z").toEpochMilli()));
    Map<String, String> kinds = quarantine.forRun("run-own").join().stream()
        .collect(Collectors.toMap(QuarantineStore.Quarantined::fileKey, QuarantineStore.Quarantined::kind));
    assertThat(kinds).containsExactlyInAnyOrderEntriesOf(Map.of("own/huge.json", "OVERSIZE",
        "own/gone.json", ChunkProcessor.MISSING_OBJECT));
    assertThat(quarantine.forRun("run-own").join()).allSatisfy(q -> assertThat(q.reason()).doesNotContain("m-ownhuge@"));
  }

  @Test
  void aStoreThatIsDownFailsTheChunkEvenAfterTheIsolationThresholdInsteadOfBlamingItsFiles() {
    List<FileRef> files = new ArrayList<>();
    for (int i = 0; i < 3; i++) files.add(put("down/good-" + i + ".json", file("m-down" + i, "Bondi")));
    var r = settings.resources();
    MemberStore missingTables = new MemberStore(aws.dynamo(),
        new MemberStore.Tables("no-such-members", "no-such-member-files", r.suppressionTable()),
        new BatchWriter(aws.dynamo(), settings.ingestion().retry()), settings.ingestion().retry(),
        settings.members().historyRetention(), Clock.systemUTC());
    int attempt = settings.ingestion().isolateAfterAttempts() + 1;
    assertThatThrownBy(() -> processor(missingTables)
        .process(new FileWorker.ProcessChunk("run-down", bucket, 0, 1L, attempt, files)).toCompletableFuture().join())
        .hasMessageContaining("3 of 3 files failed");
    assertThat(quarantine.forRun("run-down").join()).isEmpty();
  }
}
