package audience.segments;

import audience.contract.Intent;
import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.ExpectedSegments;
import audience.generator.GeneratorSpec;
import audience.ingestion.IngestionDone;
import audience.ingestion.RunSpec;
import audience.service.AudienceNode;
import audience.store.SegmentStore;
import audience.store.SegmentStore.SegmentRow;
import audience.testkit.TestNodes;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * From the done event to the manifest against the emulators: a generated data set is ingested, its run's segments
 * are generated, published to Kinesis, written to S3 and the read model by the shard consumers, and listed in the
 * manifest; everything is compared with an independent computation from the generator's ground truth. Then the
 * run is generated again (same bytes), and a second run's generation becomes latest and retires the first.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SegmentsIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  /** Low enough that a data set of a few thousand files has interesting segments, and some that are not. */
  private static final int MIN_AUDIENCE = 3;
  private AudienceNode node;

  @BeforeAll
  void start() {
    node = AudienceNode.start(TestNodes.settings(DevStack.shared(), Map.of(
        "audience.segments.min-audience", MIN_AUDIENCE,
        "audience.segments.stream.shards", 2,
        "audience.segments.stream.reader.idle-poll", "100ms",
        "audience.ingestion.chunk-size", 50)));
  }

  @AfterAll
  void stop() {
    if (node != null) node.close();
  }

  private IngestionDone ingest(String runId, String prefix, DatasetGenerator generator) {
    String bucket = node.settings().resources().rawBucket();
    new DatasetWriter().write(node.aws().s3(), generator, 16, n -> {}).join();
    TestProbe<IngestionDone> done = TestProbe.create(node.system());
    node.wiring().doneTopic().tell(Topic.subscribe(done.getRef()));
    node.wiring().ingestion().start(new RunSpec(runId, bucket, prefix, generator.files(), "test"))
        .toCompletableFuture().join();
    return done.fishForMessage(TIMEOUT, m -> m.runId().equals(runId)
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0);
  }

  private SegmentGenerator.View awaitManifest(String runId, java.time.Instant after) {
    TestProbe<Object> waiter = TestProbe.create(node.system());
    SegmentGenerator.View[] view = new SegmentGenerator.View[1];
    waiter.awaitAssert(TIMEOUT, Duration.ofMillis(200), () -> {
      view[0] = node.wiring().segments().status(runId).toCompletableFuture().join().orElseThrow();
      assertThat(view[0].phase()).isEqualTo(SegmentGenerator.Phase.COMPLETED);
      assertThat(view[0].manifestAt()).isAfter(after);
      return null;
    });
    return view[0];
  }

  private byte[] object(String key) {
    return node.aws().s3().getObject(b -> b.bucket(node.settings().resources().segmentsBucket()).key(key),
        AsyncResponseTransformer.toBytes()).join().asByteArray();
  }

  @Test
  void aRunsSegmentsMetadataAndManifestEqualAnIndependentComputation() {
    String bucket = node.settings().resources().rawBucket();
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(3_000, 30, 41L, bucket, "seg-a/", 0.0));
    IngestionDone done = ingest("seg-run-a", "seg-a/", generator);
    SegmentGenerator.View view = awaitManifest("seg-run-a", done.completedAt());
    assertThat(view.generationId()).isEqualTo(GenerationId.of("seg-run-a").value());
    assertThat(view.dataTime()).isEqualTo(done.dataTime());
    assertThat(view.latest()).isTrue();
    assertThat(view.doneToManifestMs()).isPositive();

    // the reference: computed from the generator's files, not from the service's stores
    var settings = node.settings().segments();
    Map<Intent, List<Long>> bounds = new EnumMap<>(Intent.class);
    settings.priceBands().forEach((wire, b) -> bounds.put(Intent.fromWire(wire).orElseThrow(), b));
    Map<String, ExpectedSegments.Expected> expected = new HashMap<>();
    ExpectedSegments.interesting(generator, new ExpectedSegments.Rules(bounds, settings.priceBuckets(), MIN_AUDIENCE,
        done.dataTime(), settings.activityWindow())).values().forEach(e -> {
          ExpectedSegments.Key k = e.key();
          expected.put(new SegmentKey(k.state(), k.suburb(), k.intent(), k.propertyType(),
              new PriceBand(k.bandLow(), k.bandHigh())).id(), e);
        });
    assertThat(expected).as("the data set has interesting segments").isNotEmpty();
    assertThat(view.segments()).isEqualTo(expected.size());

    List<SegmentRow> rows = node.dependencies().segments().list(view.generationId(), SegmentStore.Filter.ALL).join();
    assertThat(rows).extracting(SegmentRow::segmentId).containsExactlyInAnyOrderElementsOf(expected.keySet());
    assertThat(rows).allMatch(SegmentRow::active);
    for (SegmentRow row : rows) {
      byte[] bytes = object(row.metadataKey());
      assertThat(SegmentMetadata.checksum(bytes)).isEqualTo(row.checksum());
      assertThat((long) bytes.length).isEqualTo(row.bytes());
      SegmentMetadata m = SegmentMetadata.fromJson(bytes);
      ExpectedSegments.Expected e = expected.get(row.segmentId());
      assertThat(m.audienceSize()).as(row.segmentId()).isEqualTo(e.audience()).isEqualTo(row.audience());
      assertThat(m.bedrooms()).isEqualTo(e.bedrooms());
      assertThat(m.priceDistribution()).extracting(SegmentMetadata.PriceBucket::count)
          .containsExactlyElementsOf(e.priceBuckets());
      assertThat(List.of(m.engagement().enquiries(), m.engagement().saves(), m.engagement().views()))
          .isEqualTo(List.of(e.enquiries(), e.saves(), e.views()));
      assertThat(m.generationId()).isEqualTo(view.generationId());
      assertThat(m.sourceRunId()).isEqualTo("seg-run-a");
      assertThat(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("@");
    }

    // the manifest lists exactly those documents, and latest is a copy of it
    byte[] manifestBytes = object(Manifest.key(view.generationId()));
    Manifest manifest = Manifest.fromJson(manifestBytes);
    assertThat(manifest.segments()).extracting(Manifest.Entry::segmentId, Manifest.Entry::checksum)
        .containsExactlyInAnyOrderElementsOf(rows.stream()
            .map(r -> org.assertj.core.groups.Tuple.tuple(r.segmentId(), r.checksum())).toList());
    assertThat(object(Manifest.LATEST_KEY)).isEqualTo(manifestBytes);

    // generated again: the same generation, the same bytes
    Map<String, String> before = rows.stream().collect(Collectors.toMap(SegmentRow::segmentId, SegmentRow::checksum));
    java.time.Instant regeneratedAfter = view.manifestAt();
    node.wiring().segments().regenerate("seg-run-a").toCompletableFuture().join();
    SegmentGenerator.View again = awaitManifest("seg-run-a", regeneratedAfter);
    assertThat(again.generationId()).isEqualTo(view.generationId());
    assertThat(node.dependencies().segments().list(view.generationId(), SegmentStore.Filter.ALL).join().stream()
        .collect(Collectors.toMap(SegmentRow::segmentId, SegmentRow::checksum))).isEqualTo(before);
    assertThat(object(Manifest.key(view.generationId()))).isEqualTo(manifestBytes);

    // a later run's generation becomes latest and retires this one's segments
    DatasetGenerator second = new DatasetGenerator(new GeneratorSpec(400, 4, 43L, bucket, "seg-b/", 0.0));
    IngestionDone doneB = ingest("seg-run-b", "seg-b/", second);
    SegmentGenerator.View viewB = awaitManifest("seg-run-b", doneB.completedAt());
    assertThat(viewB.latest()).isTrue();
    assertThat(Manifest.fromJson(object(Manifest.LATEST_KEY)).generationId()).isEqualTo(viewB.generationId());
    assertThat(node.dependencies().segments().list(view.generationId(), SegmentStore.Filter.ALL).join())
        .as("the first generation is kept, retired").hasSize(rows.size()).noneMatch(SegmentRow::active);
    assertThat(node.wiring().segments().list(java.util.Optional.empty(), SegmentStore.Filter.ALL)
        .toCompletableFuture().join().generationId()).isEqualTo(viewB.generationId());
  }
}
