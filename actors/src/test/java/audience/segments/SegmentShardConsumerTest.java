package audience.segments;

import audience.config.Settings;
import audience.kinesis.Checkpoint;
import audience.kinesis.KinesisRecord;
import audience.kinesis.RecordBatch;
import audience.kinesis.SequenceNumbers;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One shard consumer on the in-memory journal, with a fake shard (a Source of batches) and an in-memory sink:
 * checkpoints only after effects, resuming after the persisted checkpoint, a failed effect re-reading from the
 * checkpoint without persisting, a child waiting for its parent's SHARD_END, a malformed record skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SegmentShardConsumerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  /** How long a test watches for something that must not happen (an absence, not a synchronisation). */
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final String STREAM = "segments-test";
  private static final Instant AT = Instant.parse("2025-06-30T01:02:03Z");

  private ActorTestKit testKit;
  private PersistenceTestKit journal;
  private Settings settings;
  private final AtomicInteger shards = new AtomicInteger();
  /** Where each read was opened: shard id and checkpoint. */
  private TestProbe<Opened> opened;
  /** Every write the sink completed, in order. */
  private final List<String> written = new CopyOnWriteArrayList<>();
  private final Map<String, ActorRef<SegmentShardConsumer.Command>> consumers = new ConcurrentHashMap<>();

  private record Opened(String shardId, Optional<Checkpoint> from) {}

  @BeforeAll
  void start() {
    settings = Settings.load(Map.of(
        "audience.segments.consumer.restart-backoff.min", "20ms",
        "audience.segments.consumer.restart-backoff.max", "100ms",
        "audience.segments.consumer.ask-timeout", "2s",
        "audience.segments.consumer.effect-parallelism", 2));
    testKit = ActorTestKit.create("consumer", PersistenceTestKitPlugin.getInstance().config()
        .withFallback(ConfigFactory.parseString("pekko.persistence.snapshot-store.plugin = \"\"\n"
            + "pekko.actor.provider = local"))
        .withFallback(settings.config()));
    journal = PersistenceTestKit.create(testKit.system());
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void fresh() {
    journal.clearAll();
    opened = testKit.createTestProbe();
    written.clear();
    consumers.clear();
  }

  // ---- fixtures

  private String newShard() {
    return "shardId-" + String.format("%012d", shards.incrementAndGet());
  }

  private static String pid(String shardId) {
    return SegmentShardConsumer.TYPE_KEY.name() + "|" + SegmentShardConsumer.entityId(STREAM, shardId);
  }

  static SegmentMetadata metadata(String generation, int i) {
    String id = "nsw~suburb-" + i + "~buy~apartment~500000-1000000";
    return new SegmentMetadata(SegmentMetadata.FORMAT_VERSION, id, "NSW", "Suburb " + i, "buy", "apartment",
        "500000-1000000", 500_000, 1_000_000L, 10 + i, List.of(0L, 0L, 10L + i, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L),
        List.of(new SegmentMetadata.PriceBucket(500_000, 1_000_000L, 10 + i)), new Engagement(1, 2, 3),
        AT.minus(Duration.ofDays(30)), AT, generation, "run-" + generation, AT);
  }

  private static KinesisRecord record(long seq, SegmentMetadata m) {
    return new KinesisRecord(m.segmentId(), Long.toString(seq), m.toJson());
  }

  private static RecordBatch batch(String shardId, KinesisRecord... records) {
    List<KinesisRecord> list = List.of(records);
    return new RecordBatch(shardId, list, Optional.of(list.get(list.size() - 1).sequenceNumber()), false);
  }

  private static RecordBatch end(String shardId, String lastSequence) {
    return new RecordBatch(shardId, List.of(), Optional.ofNullable(lastSequence), true);
  }

  /** A shard of fixed batches: a read after a checkpoint gives the batches after it, then waits for more. */
  private BiFunction<String, Optional<Checkpoint>, Source<RecordBatch, org.apache.pekko.NotUsed>> shard(
      List<RecordBatch> batches, boolean closed) {
    return (shardId, from) -> {
      List<RecordBatch> after = batches.stream().filter(b -> from.isEmpty()
          || !from.get().isShardEnd() && (b.records().isEmpty()
          || SequenceNumbers.isAfter(b.records().get(0).sequenceNumber(), from.get().marker()))).toList();
      Source<RecordBatch, org.apache.pekko.NotUsed> s = Source.from(after);
      return closed ? s : s.concat(Source.never());
    };
  }

  private static String key(SegmentMetadata m) {
    return m.generationId() + "/" + m.segmentId();
  }

  /** A sink that records what it wrote and asks {@code gate} before each write. */
  private MetadataSink sink(java.util.function.Function<SegmentMetadata, CompletableFuture<Void>> gate) {
    return (m, json) -> gate.apply(m).thenRun(() -> {
      assertThat(SegmentMetadata.fromJson(json)).isEqualTo(m);
      written.add(key(m));
    });
  }

  private ActorRef<SegmentShardConsumer.Command> spawn(
      String shardId, BiFunction<String, Optional<Checkpoint>, Source<RecordBatch, org.apache.pekko.NotUsed>> source,
      MetadataSink sink) {
    SegmentShardConsumer.ShardSource reader = (id, from) -> {
      opened.getRef().tell(new Opened(id, from));
      return source.apply(id, from);
    };
    SegmentShardConsumer.Dependencies deps = new SegmentShardConsumer.Dependencies(reader, sink,
        id -> consumers.get(id), settings.segments().consumer(), Clock.systemUTC(), SegmentMetrics.unregistered());
    ActorRef<SegmentShardConsumer.Command> ref =
        testKit.spawn(SegmentShardConsumer.create(SegmentShardConsumer.entityId(STREAM, shardId), deps));
    consumers.put(shardId, ref);
    return ref;
  }

  private SegmentShardConsumer.Status status(ActorRef<SegmentShardConsumer.Command> consumer) {
    TestProbe<SegmentShardConsumer.Status> probe = testKit.createTestProbe();
    consumer.tell(new SegmentShardConsumer.GetStatus(probe.getRef()));
    return probe.expectMessageClass(SegmentShardConsumer.Status.class, TIMEOUT);
  }

  private void stopAndWait(ActorRef<SegmentShardConsumer.Command> consumer) {
    TestProbe<Object> watcher = testKit.createTestProbe();
    testKit.stop(consumer, TIMEOUT);
    watcher.expectTerminated(consumer, TIMEOUT);
  }

  // ---- tests

  @Test
  void aCheckpointIsPersistedOnlyAfterTheEffectsOfItsBatch() {
    String shardId = newShard();
    SegmentMetadata a = metadata("g-1", 1);
    SegmentMetadata b = metadata("g-1", 2);
    CompletableFuture<Void> slow = new CompletableFuture<>();
    var consumer = spawn(shardId, shard(List.of(batch(shardId, record(10, a), record(11, b))), false),
        sink(m -> m.equals(b) ? slow : CompletableFuture.completedFuture(null)));

    consumer.tell(new SegmentShardConsumer.Wake(List.of()));
    assertThat(opened.expectMessageClass(Opened.class, TIMEOUT)).isEqualTo(new Opened(shardId, Optional.empty()));
    journal.expectNothingPersisted(pid(shardId), QUIET);
    assertThat(written).containsExactly(key(a));

    slow.complete(null);
    journal.expectNextPersisted(pid(shardId), new SegmentShardConsumer.CheckpointAdvanced("11"));
    assertThat(written).containsExactlyInAnyOrder(key(a), key(b));
    assertThat(status(consumer)).isEqualTo(new SegmentShardConsumer.Status(shardId, "11", false, true));
  }

  @Test
  void aRestartedConsumerResumesAfterItsPersistedCheckpointAndNeverMovesItBack() {
    String shardId = newShard();
    List<RecordBatch> batches = List.of(batch(shardId, record(10, metadata("g-1", 1))),
        batch(shardId, record(20, metadata("g-1", 2))));
    var first = spawn(shardId, shard(batches.subList(0, 1), false), sink(m -> CompletableFuture.completedFuture(null)));
    first.tell(new SegmentShardConsumer.Wake(List.of()));
    opened.expectMessageClass(Opened.class, TIMEOUT);
    journal.expectNextPersisted(pid(shardId), new SegmentShardConsumer.CheckpointAdvanced("10"));
    stopAndWait(first);

    // recovery with a checkpoint resumes at once (its parents were finished when it first started), after it
    written.clear();
    var second = spawn(shardId, shard(batches, false), sink(m -> CompletableFuture.completedFuture(null)));
    assertThat(opened.expectMessageClass(Opened.class, TIMEOUT))
        .isEqualTo(new Opened(shardId, Optional.of(Checkpoint.after(shardId, "10"))));
    journal.expectNextPersisted(pid(shardId), new SegmentShardConsumer.CheckpointAdvanced("20"));
    assertThat(written).containsExactly(key(metadata("g-1", 2)));

    // a checkpoint behind the persisted one changes nothing
    SegmentShardConsumer.State state = new SegmentShardConsumer.State(shardId, "20");
    assertThat(new SegmentShardConsumer.CheckpointAdvanced("9").applyTo(state)).isEqualTo(state);
    assertThat(status(second).checkpoint()).isEqualTo("20");
  }

  @Test
  void aFailedEffectReadsAgainFromTheCheckpointWithoutPersisting() {
    String shardId = newShard();
    SegmentMetadata ok = metadata("g-1", 1);
    SegmentMetadata flaky = metadata("g-1", 2);
    AtomicInteger attempts = new AtomicInteger();
    List<RecordBatch> batches = List.of(batch(shardId, record(10, ok)), batch(shardId, record(20, flaky)));
    var consumer = spawn(shardId, shard(batches, false), sink(m -> m.equals(flaky) && attempts.incrementAndGet() == 1
        ? CompletableFuture.failedFuture(new IllegalStateException("S3 said no")) : CompletableFuture.completedFuture(null)));

    consumer.tell(new SegmentShardConsumer.Wake(List.of()));
    assertThat(opened.expectMessageClass(Opened.class, TIMEOUT).from()).isEmpty();
    journal.expectNextPersisted(pid(shardId), new SegmentShardConsumer.CheckpointAdvanced("10"));
    // the failed batch is not checkpointed; the stream opens again after the persisted checkpoint
    assertThat(opened.expectMessageClass(Opened.class, TIMEOUT).from()).contains(Checkpoint.after(shardId, "10"));
    journal.expectNextPersisted(pid(shardId), new SegmentShardConsumer.CheckpointAdvanced("20"));
    assertThat(attempts).hasValue(2);
    assertThat(journal.persistedInStorage(pid(shardId))).hasSize(2);
    assertThat(written).containsExactly(key(ok), key(flaky));
  }

  @Test
  void aChildIsReadOnlyOnceItsParentIsFinished() {
    String parent = newShard();
    String child = newShard();
    CompletableFuture<RecordBatch> parentEnd = new CompletableFuture<>();
    SegmentMetadata early = metadata("g-1", 1);
    SegmentMetadata late = metadata("g-1", 2);
    spawn(parent, (id, from) -> {
      if (from.isPresent() && from.get().isShardEnd()) return Source.empty();
      return Source.single(batch(parent, record(10, early))).concat(Source.completionStage(parentEnd));
    }, sink(m -> CompletableFuture.completedFuture(null)));
    var childConsumer = spawn(child, shard(List.of(batch(child, record(30, late))), false),
        sink(m -> CompletableFuture.completedFuture(null)));

    consumers.get(parent).tell(new SegmentShardConsumer.Wake(List.of()));
    assertThat(opened.expectMessageClass(Opened.class, TIMEOUT).shardId()).isEqualTo(parent);
    journal.expectNextPersisted(pid(parent), new SegmentShardConsumer.CheckpointAdvanced("10"));

    childConsumer.tell(new SegmentShardConsumer.Wake(List.of(parent)));
    opened.expectNoMessage(QUIET);
    assertThat(status(childConsumer).reading()).isFalse();

    parentEnd.complete(end(parent, "10"));
    journal.expectNextPersisted(pid(parent), new SegmentShardConsumer.ShardFinished("10"));
    assertThat(status(consumers.get(parent)).finished()).isTrue();
    consumers.get(parent).tell(new SegmentShardConsumer.Wake(List.of())); // finished: nothing to read
    childConsumer.tell(new SegmentShardConsumer.Wake(List.of(parent)));
    assertThat(opened.expectMessageClass(Opened.class, TIMEOUT)).isEqualTo(new Opened(child, Optional.empty()));
    journal.expectNextPersisted(pid(child), new SegmentShardConsumer.CheckpointAdvanced("30"));
    assertThat(written).containsExactly(key(early), key(late));
  }

  @Test
  void aMalformedRecordIsSkippedAndTheLastRecordOfAKeyInABatchWins() {
    String shardId = newShard();
    SegmentMetadata first = metadata("g-1", 1);
    SegmentMetadata again = new SegmentMetadata(first.version(), first.segmentId(), first.state(), first.suburb(),
        first.intent(), first.propertyType(), first.priceBand(), first.priceLow(), first.priceHigh(),
        first.audienceSize() + 1, first.bedrooms(), first.priceDistribution(), first.engagement(), first.windowFrom(),
        first.dataTime(), first.generationId(), first.sourceRunId(), first.generatedAt());
    SegmentMetadata other = metadata("g-2", 1);
    List<SegmentMetadata> seen = new CopyOnWriteArrayList<>();
    KinesisRecord garbage = new KinesisRecord("x", "11", "{not json".getBytes(StandardCharsets.UTF_8));
    KinesisRecord wrongShape = new KinesisRecord("y", "12", "{\"version\":1}".getBytes(StandardCharsets.UTF_8));
    var consumer = spawn(shardId, shard(List.of(
            batch(shardId, record(10, first), garbage, wrongShape, record(13, other), record(14, again)),
            end(shardId, "14")), true),
        sink(m -> {
          seen.add(m);
          return CompletableFuture.completedFuture(null);
        }));

    consumer.tell(new SegmentShardConsumer.Wake(List.of()));
    journal.expectNextPersisted(pid(shardId), new SegmentShardConsumer.CheckpointAdvanced("14"));
    journal.expectNextPersisted(pid(shardId), new SegmentShardConsumer.ShardFinished("14"));
    assertThat(seen).containsExactlyInAnyOrder(other, again);
    SegmentShardConsumer.Status status = status(consumer);
    assertThat(status.finished()).isTrue();
    assertThat(status.checkpoint()).isEqualTo(Checkpoint.SHARD_END_MARKER);
  }

  @Test
  void aFailedCheckpointWriteRestartsTheEntityWhichResumesFromItsJournal() {
    String shardId = newShard();
    List<RecordBatch> batches = List.of(batch(shardId, record(10, metadata("g-1", 1))),
        batch(shardId, record(20, metadata("g-1", 2))));
    var consumer = spawn(shardId, shard(batches, false), sink(m -> CompletableFuture.completedFuture(null)));
    journal.failNextPersisted(pid(shardId));
    consumer.tell(new SegmentShardConsumer.Wake(List.of()));
    assertThat(opened.expectMessageClass(Opened.class, TIMEOUT).from()).isEmpty();
    journal.expectNothingPersisted(pid(shardId), QUIET);

    // restarted with backoff: nothing persisted, so it waits for the next wake, and reads from the start again
    consumer.tell(new SegmentShardConsumer.Wake(List.of()));
    assertThat(opened.expectMessageClass(Opened.class, TIMEOUT).from()).isEmpty();
    journal.expectNextPersisted(pid(shardId), new SegmentShardConsumer.CheckpointAdvanced("10"));
    journal.expectNextPersisted(pid(shardId), new SegmentShardConsumer.CheckpointAdvanced("20"));
    assertThat(new ArrayList<>(written)).contains(key(metadata("g-1", 1)), key(metadata("g-1", 2)));
  }
}
