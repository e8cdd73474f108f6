package audience.segments;

import audience.config.Settings;
import audience.devstack.DevStack;
import audience.kinesis.KinesisPublisher;
import audience.kinesis.KinesisPublisher.Entry;
import audience.kinesis.KinesisPublisher.Published;
import audience.kinesis.ShardLineage.ShardInfo;
import audience.service.AudienceNode;
import audience.store.SegmentStore;
import audience.store.SegmentStore.SegmentRow;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.s3.DelegatingS3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shard consumers against the devstack: segment records published on a multi-shard stream end up as metadata
 * documents in the segments bucket and rows in the segments read model, checksums agreeing; a node closed
 * mid-consumption and a new one on the same journal give what an uninterrupted consumption gives; a shard split while
 * records flow has its children consumed only after the parent finished.
 */
class SegmentConsumersIT {
  private static final int SHARDS = 2;
  /** Segments per generation; two generations make the ~300 records of a round. */
  private static final int SEGMENTS = 150;
  /** Records published twice (the publisher's and the stream's at-least-once). */
  private static final int DUPLICATES = 20;
  /** Small reads and one effect at a time, so that a node can be closed while its consumers are mid-stream. */
  private static final int SLOW_BATCH = 10;
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Instant AT = Instant.parse("2026-11-27T00:00:00Z");
  private static final long AUDIENCE = 10;
  private static final int BEDROOM_COUNTS = 11;
  private static final double NANOS_PER_SECOND = 1e9;

  private final DevStack devstack = DevStack.shared();

  /** A node with its consumers and what a test needs around it. */
  private record Consuming(AudienceNode node, SegmentStore store, SegmentConsumers consumers,
                           KinesisPublisher publisher, Settings settings) implements AutoCloseable {
    @Override
    public void close() {
      node.close();
    }
  }

  private static Map<String, Object> overrides(int shards, Map<String, ?> extra) {
    Map<String, Object> m = new HashMap<>(Map.of("audience.segments.stream.shards", shards,
        "audience.segments.stream.reader.idle-poll", "100ms",
        "audience.segments.consumer.discover-interval", "300ms",
        "audience.segments.consumer.restart-backoff.min", "100ms"));
    m.putAll(extra);
    return m;
  }

  private Consuming start(String namespace, Map<String, Object> overrides, S3Wrapper wrap) {
    Settings settings = TestNodes.settings(devstack, namespace, overrides);
    AudienceNode node = AudienceNode.start(settings);
    SegmentStore store = new SegmentStore(node.aws().dynamo(), settings.resources().segmentsTable(),
        settings.segments().consumer().retry());
    SegmentConsumers consumers = SegmentConsumers.init(node.system(), new SegmentConsumers.Dependencies(
        wrap.apply(node.aws().s3()), node.aws().kinesis(), store, settings, Clock.systemUTC(),
        SegmentMetrics.unregistered()));
    KinesisPublisher publisher = new KinesisPublisher(node.aws().kinesis(), settings.resources().segmentsStream(),
        KinesisPublisher.Options.from(settings.segments().stream()));
    return new Consuming(node, store, consumers, publisher, settings);
  }

  @FunctionalInterface
  private interface S3Wrapper {
    S3AsyncClient apply(S3AsyncClient s3);
  }

  // ---- metadata and what consuming it must give

  static SegmentMetadata metadata(String generation, int i, long audience) {
    String id = "nsw~suburb-" + i + "~buy~apartment~500000-1000000";
    List<Long> bedrooms = new ArrayList<>(java.util.Collections.nCopies(BEDROOM_COUNTS, 0L));
    bedrooms.set(i % BEDROOM_COUNTS, audience);
    return new SegmentMetadata(SegmentMetadata.FORMAT_VERSION, id, "NSW", "Suburb " + i, "buy", "apartment",
        "500000-1000000", 500_000, 1_000_000L, audience, bedrooms,
        List.of(new SegmentMetadata.PriceBucket(500_000, 1_000_000L, audience)), new Engagement(i, 1, 2),
        AT.minus(Duration.ofDays(30)), AT, generation, "run-" + generation, AT);
  }

  private static List<Entry> generation(String runId, int from, int count) {
    String generation = GenerationId.of(runId).value();
    return IntStream.range(from, from + count)
        .mapToObj(i -> metadata(generation, i, AUDIENCE + i))
        .map(m -> new Entry(m.segmentId(), m.toJson()))
        .toList();
  }

  /** A document as the checks compare it: its checksum and size. */
  private static String fingerprint(String checksum, long bytes) {
    return checksum + "/" + bytes;
  }

  /** What an uninterrupted consumption gives: per S3 key, the fingerprint of the last record published for it. */
  private static Map<String, String> expected(List<Entry> published) {
    Map<String, String> byKey = new TreeMap<>();
    for (Entry e : published) {
      SegmentMetadata m = SegmentMetadata.fromJson(e.data());
      byKey.put(MetadataSink.metadataKey(m.generationId(), m.segmentId()),
          fingerprint(SegmentMetadata.checksum(e.data()), e.data().length));
    }
    return byKey;
  }

  private static Published publish(Consuming c, List<Entry> entries) throws Exception {
    return c.publisher().publish(entries).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Every row of the given generations, by metadata key: its fingerprint. */
  private static Map<String, String> rows(Consuming c, List<String> generations) {
    Map<String, String> byKey = new TreeMap<>();
    for (String g : generations) {
      for (SegmentRow r : c.store().list(g, SegmentStore.Filter.ALL).join()) {
        assertThat(r.active()).isTrue();
        assertThat(r.metadataKey()).isEqualTo(MetadataSink.metadataKey(r.generation(), r.segmentId()));
        byKey.put(r.metadataKey(), fingerprint(r.checksum(), r.bytes()));
      }
    }
    return byKey;
  }

  /** Every metadata document in the segments bucket, by key: the fingerprint of its bytes. */
  private static Map<String, String> objects(Consuming c) {
    S3AsyncClient s3 = c.node().aws().s3();
    String bucket = c.settings().resources().segmentsBucket();
    List<S3Object> listed = new ArrayList<>();
    String token = null;
    do {
      String t = token;
      var page = s3.listObjectsV2(b -> b.bucket(bucket).prefix("metadata/").continuationToken(t)).join();
      listed.addAll(page.contents());
      token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
    } while (token != null);
    Map<String, String> byKey = new TreeMap<>();
    for (S3Object o : listed) {
      var got = s3.getObject(b -> b.bucket(bucket).key(o.key()), AsyncResponseTransformer.toBytes()).join();
      assertThat(got.response().contentType()).isEqualTo(MetadataSink.CONTENT_TYPE);
      byKey.put(o.key(), fingerprint(SegmentMetadata.checksum(got.asByteArray()), got.asByteArray().length));
    }
    return byKey;
  }

  private static List<String> generations(String... runIds) {
    return java.util.Arrays.stream(runIds).map(r -> GenerationId.of(r).value()).toList();
  }

  /** Waits until the read model has every expected row with its checksum; the S3 documents agree with it. */
  private static void awaitConsumed(Consuming c, Map<String, String> expected, List<String> generations) {
    awaitRows(c, expected, generations);
    assertThat(objects(c)).isEqualTo(expected);
  }

  private static void awaitRows(Consuming c, Map<String, String> expected, List<String> generations) {
    Poll.until("every segment row written", TIMEOUT, POLL, () -> rows(c, generations), rows -> rows.equals(expected));
  }

  // ---- tests

  @Test
  void everyRecordOfTwoGenerationsEndsUpInS3AndTheReadModelWithAgreeingChecksums() throws Exception {
    try (Consuming c = start(TestNodes.newNamespace(), overrides(SHARDS, Map.of()), s3 -> s3)) {
      List<Entry> published = new ArrayList<>(generation("run-a", 0, SEGMENTS));
      published.addAll(generation("run-b", 0, SEGMENTS));
      published.addAll(published.subList(0, DUPLICATES)); // the same records again
      Map<String, String> expected = expected(published);
      assertThat(expected).hasSize(2 * SEGMENTS);

      long start = System.nanoTime();
      Published stored = publish(c, published);
      assertThat(stored.stored().stream().map(KinesisPublisher.Stored::shardId).distinct()).hasSize(SHARDS);
      awaitRows(c, expected, generations("run-a", "run-b"));
      double seconds = (System.nanoTime() - start) / NANOS_PER_SECOND;
      System.out.printf("SegmentConsumersIT: %d records consumed in %.2f s (%.0f records/s, publish included)%n",
          published.size(), seconds, published.size() / seconds);
      assertThat(objects(c)).isEqualTo(expected);
    }
  }

  @Test
  void aNodeClosedMidConsumptionAndANewOneOnTheSameJournalGiveWhatAnUninterruptedConsumptionGives() throws Exception {
    String namespace = TestNodes.newNamespace();
    Map<String, Object> slow = overrides(SHARDS, Map.of("audience.segments.stream.reader.batch-limit", SLOW_BATCH,
        "audience.segments.consumer.effect-parallelism", 1));
    List<Entry> published = new ArrayList<>(generation("run-c", 0, SEGMENTS));
    published.addAll(generation("run-d", 0, SEGMENTS));
    List<String> gens = generations("run-c", "run-d", "run-e");
    long beforeClose;
    try (Consuming first = start(namespace, slow, s3 -> s3)) {
      publish(first, published);
      Poll.until("a shard checkpointed", TIMEOUT, Duration.ofMillis(20), () -> shards(first).stream()
          .map(s -> first.consumers().status(s.shardId()).toCompletableFuture().join().checkpoint()).toList(),
          checkpoints -> checkpoints.stream().anyMatch(java.util.Objects::nonNull));
      beforeClose = first.store().count(gens.get(0)).join() + first.store().count(gens.get(1)).join();
    } // closed while its consumers are mid-stream (unless they were very quick)
    System.out.printf("SegmentConsumersIT: node closed with %d of %d segments consumed%n", beforeClose,
        published.size());

    try (Consuming second = start(namespace, slow, s3 -> s3)) {
      List<Entry> more = new ArrayList<>(generation("run-e", 0, SEGMENTS / 2));
      more.addAll(List.copyOf(published.subList(0, DUPLICATES))); // records the first node may have consumed already
      publish(second, more);
      published.addAll(more);
      awaitConsumed(second, expected(published), gens);
      for (ShardInfo s : shards(second)) {
        assertThat(second.consumers().status(s.shardId()).toCompletableFuture().get(TIMEOUT.toSeconds(),
            TimeUnit.SECONDS).checkpoint()).as("checkpoint of %s", s.shardId()).isNotNull();
      }
    }
  }

  private static List<ShardInfo> shards(Consuming c) {
    return c.node().aws().kinesis().listShards(b -> b.streamName(c.settings().resources().segmentsStream())).join()
        .shards().stream().map(ShardInfo::of).toList();
  }

  @Test
  void aSplitShardsChildrenAreConsumedOnlyAfterItsParentFinished() throws Exception {
    List<String> putOrder = new CopyOnWriteArrayList<>();
    S3Wrapper recording = s3 -> new DelegatingS3AsyncClient(s3) {
      @Override
      public CompletableFuture<PutObjectResponse> putObject(PutObjectRequest request, AsyncRequestBody body) {
        return super.putObject(request, body).thenApply(r -> {
          putOrder.add(request.key());
          return r;
        });
      }
    };
    try (Consuming c = start(TestNodes.newNamespace(), overrides(1, Map.of()), recording)) {
      String stream = c.settings().resources().segmentsStream();
      String parent = shards(c).get(0).shardId();
      List<Entry> before = generation("run-f", 0, SEGMENTS);
      List<Entry> after = generation("run-g", 0, SEGMENTS);
      List<Published> flowing = new ArrayList<>();
      flowing.add(publish(c, before));
      // split at the middle of the hash key range while records keep coming
      BigInteger middle = BigInteger.ONE.shiftLeft(127);
      CompletableFuture<Void> split = c.node().aws().kinesis().splitShard(b -> b.streamName(stream)
          .shardToSplit(parent).newStartingHashKey(middle.toString())).thenApply(r -> null);
      int step = SEGMENTS / 5;
      for (int i = 0; i < after.size(); i += step) {
        flowing.add(publish(c, after.subList(i, Math.min(after.size(), i + step))));
      }
      split.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      Poll.until("the stream ACTIVE after the split", TIMEOUT, POLL, () -> c.node().aws().kinesis()
              .describeStreamSummary(b -> b.streamName(stream)).join().streamDescriptionSummary().streamStatus(),
          s -> s == StreamStatus.ACTIVE);
      // records published once the split is done land in the children
      List<Entry> last = generation("run-g", SEGMENTS, SEGMENTS / 5);
      flowing.add(publish(c, last));

      List<Entry> all = new ArrayList<>(before);
      all.addAll(after);
      all.addAll(last);
      awaitConsumed(c, expected(all), generations("run-f", "run-g"));

      // which shard each key was stored in, and the order the consumers wrote them
      Map<String, String> shardOfKey = new LinkedHashMap<>();
      int k = 0;
      for (Published p : flowing) {
        for (KinesisPublisher.Stored s : p.stored()) {
          SegmentMetadata m = SegmentMetadata.fromJson(all.get(k++).data());
          shardOfKey.put(MetadataSink.metadataKey(m.generationId(), m.segmentId()), s.shardId());
        }
      }
      List<String> children = shards(c).stream().filter(s -> s.parentShardId().equals(Optional.of(parent)))
          .map(ShardInfo::shardId).toList();
      assertThat(children).hasSize(2);
      assertThat(shardOfKey.values()).contains(parent).containsAnyElementsOf(children);
      int lastOfParent = -1;
      int firstOfChild = Integer.MAX_VALUE;
      for (int i = 0; i < putOrder.size(); i++) {
        String shard = shardOfKey.get(putOrder.get(i));
        if (parent.equals(shard)) lastOfParent = i;
        if (children.contains(shard)) firstOfChild = Math.min(firstOfChild, i);
      }
      assertThat(lastOfParent).as("the parent's last write comes before the children's first").isLessThan(firstOfChild);
      assertThat(c.consumers().status(parent).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
          .finished()).isTrue();
    }
  }
}
