package audience.kinesis;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.devstack.DevStack;
import audience.kinesis.KinesisPublisher.Entry;
import audience.kinesis.KinesisPublisher.Published;
import audience.kinesis.ShardLineage.ShardInfo;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The publisher, the shard reader and the lineage rules against kinesis-local, through the real SDK: every record
 * read once per shard, a restart from a checkpoint re-reads nothing before it and misses nothing after it, and a
 * split parent drains to SHARD_END before its children are read.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KinesisShardsIT {
  private static final int SHARDS = 4;
  private static final int RECORDS = 2_000;
  private static final long SEED = 7L;
  /** GetRecords limit: a shard's ~500 records take several batches, so a checkpoint can fall midway. */
  private static final int READ_BATCH = 100;
  /** Records published before the split, and after it while the stream reshards. */
  private static final int BEFORE_SPLIT = 300;
  private static final int AFTER_SPLIT = 300;
  private static final int SPLIT_PUBLISH_BATCH = 50;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Duration POLL = Duration.ofMillis(100);

  private AwsClients aws;
  private Settings settings;
  private ActorSystem system;

  @BeforeAll
  void start() {
    settings = TestNodes.settings(DevStack.shared(), Map.of("audience.segments.stream.shards", SHARDS,
        "audience.segments.stream.reader.idle-poll", "100ms", "audience.segments.stream.reader.batch-limit", READ_BATCH));
    aws = AwsClients.create(settings.aws());
    system = ActorSystem.create("kinesis-shards-it");
  }

  @AfterAll
  void stop() {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
    if (aws != null) aws.close();
  }

  /** A stream of its own (never a name used before: kinesis-local may still hold a delayed delete for it). */
  private String newStream(int shards) {
    String stream = TestNodes.newNamespace() + "-segments";
    Bootstrap.ensureStream(aws.kinesis(), stream, shards);
    return stream;
  }

  private List<Shard> listShards(String stream) {
    return aws.kinesis().listShards(b -> b.streamName(stream)).join().shards();
  }

  private ShardReader reader(String stream) {
    return new ShardReader(aws.kinesis(), stream, ShardReader.Options.from(settings.segments().stream()));
  }

  private KinesisPublisher publisher(String stream) {
    return new KinesisPublisher(aws.kinesis(), stream, KinesisPublisher.Options.from(settings.segments().stream()));
  }

  private static List<Entry> entries(Random random, int from, int count) {
    return IntStream.range(from, from + count)
        .mapToObj(i -> new Entry(new UUID(random.nextLong(), random.nextLong()).toString(),
            ("record-" + i).getBytes(StandardCharsets.UTF_8)))
        .toList();
  }

  private static String text(KinesisRecord r) {
    return new String(r.data(), StandardCharsets.UTF_8);
  }

  private static String text(Entry e) {
    return new String(e.data(), StandardCharsets.UTF_8);
  }

  /**
   * Reads batches of an open shard from {@code from} until the records read cover {@code wanted} (the batch that
   * completes it included), or the shard ends.
   */
  private List<RecordBatch> readUntil(ShardReader reader, String shardId, Optional<Checkpoint> from, Set<String> wanted)
      throws Exception {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    return reader.source(shardId, from)
        .takeWhile(b -> {
          b.records().forEach(r -> seen.add(text(r)));
          return !b.shardEnd() && !seen.containsAll(wanted);
        }, true)
        .completionTimeout(TIMEOUT)
        .runWith(Sink.seq(), system).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  private static List<KinesisRecord> records(List<RecordBatch> batches) {
    return batches.stream().flatMap(b -> b.records().stream()).toList();
  }

  @Test
  void everyShardIsReadWholeAndARestartFromACheckpointReReadsNothingBeforeItAndMissesNothingAfter() throws Exception {
    String stream = newStream(SHARDS);
    Bootstrap.ensureStream(aws.kinesis(), stream, SHARDS); // again: idempotent, no second stream, no error
    List<Shard> shards = listShards(stream);
    assertThat(shards).hasSize(SHARDS);

    List<Entry> entries = entries(new Random(SEED), 0, RECORDS);
    Published published = publisher(stream).publish(entries).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(published.calls()).as("500 records a call").isGreaterThanOrEqualTo(RECORDS / Settings.StreamSettings.MAX_PUT_RECORDS);
    Map<String, Set<String>> byShard = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      byShard.computeIfAbsent(published.stored().get(i).shardId(), s -> new HashSet<>()).add(text(entries.get(i)));
    }
    assertThat(byShard).as("random keys reach every shard").hasSize(SHARDS);

    ShardReader reader = reader(stream);
    Set<String> readOverall = new HashSet<>();
    for (Shard shard : shards) {
      String id = shard.shardId();
      Set<String> wanted = byShard.get(id);
      // first pass from TRIM_HORIZON: stop at the batch that passes half of the shard's records; checkpoint there
      List<RecordBatch> firstPass = readUntilCount(reader, id, wanted.size() / 2);
      Checkpoint checkpoint = firstPass.get(firstPass.size() - 1).checkpoint().orElseThrow();
      List<KinesisRecord> before = records(firstPass);
      assertThat(before.size()).as("stopped midway").isBetween(wanted.size() / 2, wanted.size() - 1);

      // restart from the checkpoint: nothing at or before it again, the rest exactly once
      Set<String> rest = new HashSet<>(wanted);
      before.forEach(r -> rest.remove(text(r)));
      List<KinesisRecord> after = records(readUntil(reader, id, Optional.of(checkpoint), rest));
      String at = ((Checkpoint.After) checkpoint.position()).sequenceNumber();
      assertThat(after).allSatisfy(r -> assertThat(SequenceNumbers.isAfter(r.sequenceNumber(), at)).isTrue());
      assertThat(after).extracting(KinesisShardsIT::text).doesNotContainAnyElementsOf(
          before.stream().map(KinesisShardsIT::text).toList());
      List<String> all = new ArrayList<>();
      before.forEach(r -> all.add(text(r)));
      after.forEach(r -> all.add(text(r)));
      assertThat(all).as("shard %s", id).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(wanted);
      // sequence numbers rise within the shard
      List<String> sequence = new ArrayList<>();
      before.forEach(r -> sequence.add(r.sequenceNumber()));
      after.forEach(r -> sequence.add(r.sequenceNumber()));
      assertThat(sequence).isSortedAccordingTo(SequenceNumbers.ORDER);
      readOverall.addAll(all);
    }
    assertThat(readOverall).hasSize(RECORDS);
  }

  /** From TRIM_HORIZON, batches until at least {@code count} records are read. */
  private List<RecordBatch> readUntilCount(ShardReader reader, String shardId, int count) throws Exception {
    int[] read = {0};
    return reader.source(shardId, Optional.empty())
        .takeWhile(b -> (read[0] += b.records().size()) < count, true)
        .completionTimeout(TIMEOUT)
        .runWith(Sink.seq(), system).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void aSplitParentDrainsToShardEndBeforeItsChildrenAreReadAndNothingIsLost() throws Exception {
    String stream = newStream(1);
    String parent = listShards(stream).get(0).shardId();
    KinesisPublisher publisher = publisher(stream);
    Random random = new Random(SEED + 1);
    List<Entry> before = entries(random, 0, BEFORE_SPLIT);
    List<Entry> after = entries(random, BEFORE_SPLIT, AFTER_SPLIT);
    publisher.publish(before).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

    // split at the middle of the hash key range while records keep coming, in small calls
    BigInteger middle = BigInteger.ONE.shiftLeft(127);
    CompletableFuture<Void> split = aws.kinesis().splitShard(b -> b.streamName(stream).shardToSplit(parent)
        .newStartingHashKey(middle.toString())).thenApply(r -> null);
    List<Published> flowing = new ArrayList<>();
    for (int i = 0; i < after.size(); i += SPLIT_PUBLISH_BATCH) {
      flowing.add(publisher.publish(after.subList(i, Math.min(after.size(), i + SPLIT_PUBLISH_BATCH)))
          .toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    }
    split.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    Poll.until("the stream ACTIVE after the split", TIMEOUT, POLL,
        () -> aws.kinesis().describeStreamSummary(b -> b.streamName(stream)).join().streamDescriptionSummary().streamStatus(),
        s -> s == StreamStatus.ACTIVE);

    List<ShardInfo> listing = listShards(stream).stream().map(ShardInfo::of).toList();
    assertThat(listing).hasSize(3);
    ShardInfo closedParent = listing.stream().filter(s -> s.shardId().equals(parent)).findFirst().orElseThrow();
    assertThat(closedParent.closed()).isTrue();
    List<String> children = listing.stream().filter(s -> s.parentShardId().equals(Optional.of(parent)))
        .map(ShardInfo::shardId).toList();
    assertThat(children).hasSize(2);
    // whatever was stored after the split finished went to a child
    Set<String> storedIn = flowing.get(flowing.size() - 1).stored().stream()
        .map(KinesisPublisher.Stored::shardId).collect(Collectors.toSet());
    assertThat(children).containsAll(storedIn);

    // the lineage lets only the parent start; it is read to its end without being told where that is
    assertThat(ShardLineage.startable(listing, Set.of())).extracting(ShardInfo::shardId).containsExactly(parent);
    ShardReader reader = reader(stream);
    List<RecordBatch> parentBatches = reader.source(parent, Optional.empty()).completionTimeout(TIMEOUT)
        .runWith(Sink.seq(), system).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    RecordBatch last = parentBatches.get(parentBatches.size() - 1);
    assertThat(last.shardEnd()).isTrue();
    assertThat(last.checkpoint()).contains(Checkpoint.shardEnd(parent));
    List<String> fromParent = records(parentBatches).stream().map(KinesisShardsIT::text).toList();
    assertThat(fromParent).containsAll(before.stream().map(KinesisShardsIT::text).toList());

    // SHARD_END checkpointed: now both children, from TRIM_HORIZON, give the rest
    Set<String> finished = Set.of(parent);
    assertThat(ShardLineage.startable(listing, finished)).extracting(ShardInfo::shardId)
        .containsExactlyInAnyOrderElementsOf(children);
    List<String> fromChildren = new ArrayList<>();
    for (String child : children) {
      Set<String> wanted = new HashSet<>();
      int k = 0;
      for (Published p : flowing) {
        for (KinesisPublisher.Stored s : p.stored()) {
          if (s.shardId().equals(child)) wanted.add(text(after.get(k)));
          k++;
        }
      }
      records(readUntil(reader, child, Optional.empty(), wanted)).forEach(r -> fromChildren.add(text(r)));
    }
    List<String> everything = new ArrayList<>(fromParent);
    everything.addAll(fromChildren);
    assertThat(everything).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(IntStream.range(0, BEFORE_SPLIT + AFTER_SPLIT)
            .mapToObj(i -> "record-" + i).toList());
  }
}
