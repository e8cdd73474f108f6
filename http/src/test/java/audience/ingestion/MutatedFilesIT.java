package audience.ingestion;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.GeneratedFile;
import audience.generator.GeneratorSpec;
import audience.service.Guardian;
import audience.store.BatchWriter;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.store.TableScan;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.async.AsyncRequestBody;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property, by a seeded mutation loop: valid files of the generator, each mutated at random (bytes, types, extreme
 * numbers and dates, unicode, nesting, sizes), run through the whole worker path against the emulators (S3 GET,
 * contract, member store, quarantine). Whatever the mutation, every file ends exactly once as ingested or
 * quarantined with a reason, no chunk fails, and no reason quotes the member's email. A failing seed names itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MutatedFilesIT {
  private static final int FILES = 150;
  private static final int CHUNK = 25;
  private final ObjectMapper json = new ObjectMapper();
  private ActorTestKit testKit;
  private AwsClients aws;
  private Settings settings;
  private MemberStore members;
  private QuarantineStore quarantine;
  private ChunkProcessor processor;

  @BeforeAll
  void start() {
    settings = TestNodes.settings(DevStack.shared(), Map.of());
    aws = AwsClients.create(settings.aws());
    new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
    members = MemberStore.of(aws.dynamo(), settings, Clock.systemUTC());
    quarantine = new QuarantineStore(aws.dynamo(), settings.resources().quarantineTable(),
        new BatchWriter(aws.dynamo(), settings.ingestion().retry()), settings.ingestion().quarantineRetention());
    testKit = ActorTestKit.create("mutations");
    processor = new ChunkProcessor(aws.s3(), Guardian.contractParser(settings.ingestion(), Clock.systemUTC()), members,
        quarantine, settings.ingestion(), Materializer.createMaterializer(testKit.system()), Clock.systemUTC());
  }

  @AfterAll
  void stop() {
    if (testKit != null) testKit.shutdownTestKit();
    if (aws != null) aws.close();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void everyMutatedFileEndsIngestedOrQuarantinedAndNoChunkFails(long seed) throws Exception {
    String bucket = settings.resources().rawBucket();
    String prefix = "mut-" + seed + "/";
    String runId = "mut-run-" + seed;
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(FILES, 0, seed, bucket, prefix, 0.0));
    Random random = new Random(seed);
    List<FileRef> files = new ArrayList<>();
    List<CompletableFuture<?>> puts = new ArrayList<>();
    Map<String, String> emails = new java.util.HashMap<>();
    for (int i = 0; i < FILES; i++) {
      GeneratedFile f = generator.file(i);
      emails.put(f.key(), json.readTree(f.body()).path("email").asText());
      byte[] body = mutate(f.body(), random);
      files.add(new FileRef(f.key(), body.length));
      puts.add(aws.s3().putObject(b -> b.bucket(bucket).key(f.key()), AsyncRequestBody.fromBytes(body)));
    }
    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();

    int ingested = 0;
    int quarantined = 0;
    for (int from = 0; from < FILES; from += CHUNK) {
      List<FileRef> chunk = files.subList(from, Math.min(FILES, from + CHUNK));
      ChunkProcessor.Outcome outcome = processor.process(new FileWorker.ProcessChunk(runId, bucket, from / CHUNK, 1L,
          1, chunk)).toCompletableFuture().join(); // a failed chunk throws here, naming the seed in the report
      ingested += outcome.ingested();
      quarantined += outcome.quarantined();
    }
    assertThat(ingested + quarantined).as("seed %d: every file settled", seed).isEqualTo(FILES);

    Set<String> stored = ConcurrentHashMap.newKeySet();
    TableScan.scan(aws.dynamo(), members.tables().memberFiles(), null, 1, item -> {
      if (item.get(MemberStore.RUN_ID).s().equals(runId)) stored.add(item.get(MemberStore.SOURCE_KEY).s());
    }).join();
    Set<String> refused = new HashSet<>();
    quarantine.forRun(runId).join().forEach(q -> {
      refused.add(q.fileKey());
      assertThat(q.reason()).as("seed %d, %s", seed, q.fileKey()).startsWith(q.kind() + ": ")
          .doesNotContain(emails.get(q.fileKey())).doesNotContain(emails.get(q.fileKey()).split("@")[0]);
    });
    assertThat(stored).as("seed %d: ingested", seed).hasSize(ingested);
    assertThat(refused).as("seed %d: quarantined", seed).hasSize(quarantined);
    assertThat(stored).as("seed %d: never both", seed).doesNotContainAnyElementsOf(refused);
  }

  /** One random mutation of a valid file (some leave it valid: those must be ingested). */
  private byte[] mutate(byte[] valid, Random random) throws Exception {
    ObjectNode root = (ObjectNode) json.readTree(valid);
    List<String> fields = new ArrayList<>();
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) fields.add(it.next());
    String field = fields.get(random.nextInt(fields.size()));
    switch (random.nextInt(14)) {
      case 0 -> { // flip a byte
        byte[] b = valid.clone();
        b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
        return b;
      }
      case 1 -> { // cut short
        return java.util.Arrays.copyOf(valid, random.nextInt(valid.length));
      }
      case 2 -> root.put(field, random.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE);
      case 3 -> root.put(field, 1e308 * (random.nextBoolean() ? 10 : 1));
      case 4 -> root.put(field, "\uD83C\uDFE0\u0000\u202E" + "é".repeat(random.nextInt(5000)));
      case 5 -> root.set(field, json.createArrayNode().add(json.createObjectNode().set("x", json.createArrayNode())));
      case 6 -> root.putNull(field);
      case 7 -> root.remove(field);
      case 8 -> root.put("lastActive", random.nextBoolean() ? "+999999999-12-31T23:59:59Z" : "0000-01-01T00:00:00Z");
      case 9 -> root.put("lastActive", "2026-13-45T99:99:99Z");
      case 10 -> root.put("suburb", "€".repeat(50_000 + random.nextInt(150_000)));
      case 11 -> { // deep nesting, written by hand: Jackson's own writer refuses it
        String flat = json.writeValueAsString(root);
        int depth = 1000 + random.nextInt(2000);
        return (flat.substring(0, flat.length() - 1) + ",\"extra\":" + "{\"n\":".repeat(depth) + "{}"
            + "}".repeat(depth) + "}").getBytes(StandardCharsets.UTF_8);
      }
      case 12 -> root.put("bedrooms", random.nextInt(40) - 20);
      default -> root.put("extra", "a harmless extra field");
    }
    return json.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
  }
}
