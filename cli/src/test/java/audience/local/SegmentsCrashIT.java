package audience.local;

import audience.aws.AwsClients;
import audience.config.Settings;
import audience.contract.Intent;
import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.ExpectedSegments;
import audience.generator.GeneratorSpec;
import audience.segments.Manifest;
import audience.segments.PriceBand;
import audience.segments.SegmentKey;
import audience.segments.SegmentMetadata;
import audience.store.SegmentStore;
import audience.testkit.Http;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service process is SIGKILLed while a run's segments are on their way (published to Kinesis, the shard
 * consumers writing metadata, no manifest yet). A new process wakes the generation, scans and publishes again, the
 * consumers resume after their checkpoints, and the generation ends exactly as an uninterrupted one would: every
 * segment of an independent computation, each document's checksum in its row, a complete manifest, latest = it.
 */
class SegmentsCrashIT {
  private static final int FILES = 3_000;
  private static final String PREFIX = "seg-crash/";
  private static final int MIN_AUDIENCE = 3;
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final Duration POLL = Duration.ofMillis(50);

  @Test
  @Timeout(value = 12, unit = TimeUnit.MINUTES)
  void aServiceKilledBetweenPublicationAndManifestEndsLikeAnUninterruptedGeneration() throws Exception {
    DevStack devstack = DevStack.shared();
    String namespace = TestNodes.newNamespace() + "-segcrash";
    Path home = Path.of("target", namespace).toAbsolutePath();
    devstack.endpoints().write(home.resolve("endpoints.json"));
    Map<String, String> props = new LinkedHashMap<>(TestNodes.resourceProperties(namespace));
    props.put("audience.segments.min-audience", String.valueOf(MIN_AUDIENCE));
    props.put("audience.segments.stream.shards", "2");
    props.put("audience.segments.stream.reader.idle-poll", "100ms");
    // one record at a time: the consumers take long enough for the kill to land between publication and manifest
    props.put("audience.segments.consumer.effect-parallelism", "1");
    props.put("audience.segments.generator.wake-interval", "1s");
    props.put("logback.configurationFile",
        Path.of(SegmentsCrashIT.class.getResource("/logback-service-process.xml").toURI()).toString());
    Settings settings = TestNodes.settings(devstack, namespace, Map.copyOf(props));
    String bucket = settings.resources().rawBucket();
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(FILES, 0, 5L, bucket, PREFIX, 0.0));

    try (AwsClients aws = AwsClients.create(settings.aws())) {
      new DatasetWriter().write(aws.s3(), generator, 16, n -> {}).join();
      ServiceProcess first = ServiceProcess.start(home, props, "512m", home.resolve("service-1.log"));
      String runId;
      try {
        Http ops = OperatorHttp.of(first.url());
        Http.Reply started = ops.post("/ops/ingestions", "{\"bucket\":\"%s\",\"prefix\":\"%s\",\"uploadId\":\"c\"}"
            .formatted(bucket, PREFIX));
        assertThat(started.status()).as("%s", started).isEqualTo(202);
        runId = started.body().path("runId").asText();
        JsonNode atKill = Poll.until("segments published, no manifest yet", TIMEOUT, POLL,
            () -> ops.get("/ops/segments/generations/" + runId),
            r -> r.status() == 200 && r.body().path("phase").asText().equals("published")).body();
        first.kill();
        System.out.printf("segments crash test: killed with generation %s published (%d segments), no manifest%n",
            atKill.path("generationId").asText(), atKill.path("segments").asLong());
      } finally {
        first.kill();
      }
      assertThat(Files.readString(home.resolve("service-1.log"))).doesNotContain("manifest manifest/");

      ServiceProcess second = ServiceProcess.start(home, props, "512m", home.resolve("service-2.log"));
      JsonNode done;
      try {
        Http ops = OperatorHttp.of(second.url());
        done = Poll.until("the generation completed after the restart", TIMEOUT, Duration.ofMillis(200),
            () -> ops.get("/ops/segments/generations/" + runId),
            r -> r.status() == 200 && r.body().path("phase").asText().equals("completed")).body();
      } finally {
        second.close();
      }

      String generation = done.path("generationId").asText();
      Instant dataTime = Instant.parse(done.path("dataTime").asText());
      var segmentSettings = settings.segments();
      Map<Intent, List<Long>> bounds = new EnumMap<>(Intent.class);
      segmentSettings.priceBands().forEach((wire, b) -> bounds.put(Intent.fromWire(wire).orElseThrow(), b));
      Map<String, Long> expected = new HashMap<>();
      ExpectedSegments.interesting(generator, new ExpectedSegments.Rules(bounds, segmentSettings.priceBuckets(),
          MIN_AUDIENCE, dataTime, segmentSettings.activityWindow())).values().forEach(e -> {
            ExpectedSegments.Key k = e.key();
            expected.put(new SegmentKey(k.state(), k.suburb(), k.intent(), k.propertyType(),
                new PriceBand(k.bandLow(), k.bandHigh())).id(), e.audience());
          });
      assertThat(expected).isNotEmpty();
      SegmentStore store = new SegmentStore(aws.dynamo(), settings.resources().segmentsTable(),
          segmentSettings.stream().retry());
      List<SegmentStore.SegmentRow> rows = store.list(generation, SegmentStore.Filter.ALL).join();
      assertThat(rows.stream().collect(Collectors.toMap(SegmentStore.SegmentRow::segmentId,
          SegmentStore.SegmentRow::audience))).isEqualTo(expected);
      String segmentsBucket = settings.resources().segmentsBucket();
      for (SegmentStore.SegmentRow row : rows) {
        byte[] bytes = get(aws, segmentsBucket, row.metadataKey());
        assertThat(SegmentMetadata.checksum(bytes)).as(row.segmentId()).isEqualTo(row.checksum());
        assertThat(SegmentMetadata.fromJson(bytes).audienceSize()).isEqualTo(row.audience());
      }
      byte[] manifest = get(aws, segmentsBucket, Manifest.key(generation));
      assertThat(Manifest.fromJson(manifest).segments()).extracting(Manifest.Entry::segmentId)
          .containsExactlyInAnyOrderElementsOf(expected.keySet());
      assertThat(get(aws, segmentsBucket, Manifest.LATEST_KEY)).isEqualTo(manifest);
      assertThat(done.path("segments").asLong()).isEqualTo(expected.size());
    }
  }

  private static byte[] get(AwsClients aws, String bucket, String key) {
    return aws.s3().getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes()).join().asByteArray();
  }
}
