package audience.kinesis;

import audience.config.Settings.Retry;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShardReaderTest {
  private static final String SHARD = "shardId-000000000000";
  private static final int BATCH = 7;
  private static final int RECORDS = 30;
  private static final Duration IDLE = Duration.ofMillis(5);
  private static final Retry RETRY = new Retry(4, Duration.ofMillis(1), Duration.ofMillis(4));
  private static final long TIMEOUT_S = 10;
  private static ActorSystem system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create("shard-reader-test");
  }

  @AfterAll
  static void stop() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  private static List<RecordBatch> readAll(FakeShard shard, Optional<Checkpoint> from) throws Exception {
    return new ShardReader(shard, "s", new ShardReader.Options(BATCH, IDLE, RETRY)).source(SHARD, from)
        .runWith(Sink.seq(), system).toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  private static List<String> data(List<RecordBatch> batches) {
    return batches.stream().flatMap(b -> b.records().stream())
        .map(r -> new String(r.data(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void aClosedShardIsReadFromTrimHorizonInBatchesAndEndsWithAShardEndBatch() throws Exception {
    FakeShard shard = new FakeShard();
    shard.add(RECORDS);
    shard.close(true);
    List<RecordBatch> batches = readAll(shard, Optional.empty());
    assertThat(data(batches)).hasSize(RECORDS).startsWith("r0", "r1").endsWith("r29");
    assertThat(batches).allSatisfy(b -> assertThat(b.records().size()).isLessThanOrEqualTo(BATCH));
    RecordBatch last = batches.get(batches.size() - 1);
    assertThat(last.shardEnd()).isTrue();
    assertThat(last.checkpoint()).contains(Checkpoint.shardEnd(SHARD));
    assertThat(batches.subList(0, batches.size() - 1)).noneMatch(RecordBatch::shardEnd);
    assertThat(batches.get(0).checkpoint()).contains(Checkpoint.after(SHARD, FakeShard.sequenceOf(BATCH - 1)));
    assertThat(shard.iteratorRequests).containsExactly("TRIM_HORIZON");
  }

  @Test
  void fromACheckpointOnlyLaterRecordsComeAndFromShardEndNothing() throws Exception {
    FakeShard shard = new FakeShard();
    shard.add(RECORDS);
    shard.close(true);
    List<RecordBatch> batches = readAll(shard, Optional.of(Checkpoint.after(SHARD, FakeShard.sequenceOf(19))));
    assertThat(data(batches)).containsExactly("r20", "r21", "r22", "r23", "r24", "r25", "r26", "r27", "r28", "r29");
    assertThat(shard.iteratorRequests).containsExactly("AFTER_SEQUENCE_NUMBER " + FakeShard.sequenceOf(19));
    assertThat(readAll(shard, Optional.of(Checkpoint.shardEnd(SHARD)))).isEmpty();
  }

  @Test
  void throttlingIsRetriedAndAnExpiredIteratorIsRenewedAfterTheLastRecordRead() throws Exception {
    FakeShard shard = new FakeShard();
    shard.add(RECORDS);
    shard.close(true);
    shard.throttles.set(RETRY.maxAttempts() - 1);
    List<RecordBatch> throttled = readAll(shard, Optional.empty());
    assertThat(data(throttled)).hasSize(RECORDS).doesNotHaveDuplicates();

    // the first batch is read from a shard of its own: a cancelled source may still have a GetRecords on its way,
    // which must not take the expiry meant for the reader under test
    FakeShard firstShard = new FakeShard();
    firstShard.add(BATCH);
    firstShard.close(false);
    var first = new ShardReader(firstShard, "s", new ShardReader.Options(BATCH, IDLE, RETRY))
        .source(SHARD, Optional.empty()).take(1).runWith(Sink.seq(), system)
        .toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
    assertThat(data(first)).hasSize(BATCH);
    assertThat(first.get(0).checkpoint()).contains(Checkpoint.after(SHARD, FakeShard.sequenceOf(BATCH - 1)));

    // the next GetRecords finds its iterator expired: the reader asks for one after r6, then reads on to the end
    FakeShard expiring = new FakeShard();
    expiring.add(RECORDS);
    expiring.close(true);
    expiring.expiries.set(1);
    var reader = new ShardReader(expiring, "s", new ShardReader.Options(BATCH, IDLE, RETRY));
    List<RecordBatch> rest = reader.source(SHARD, first.get(0).checkpoint()).runWith(Sink.seq(), system)
        .toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
    assertThat(data(rest)).hasSize(RECORDS - BATCH).startsWith("r7").endsWith("r29");
    assertThat(expiring.expiries).as("the expiry was met").hasValue(0);
    assertThat(expiring.iteratorRequests).containsExactly(
        "AFTER_SEQUENCE_NUMBER " + FakeShard.sequenceOf(BATCH - 1), "AFTER_SEQUENCE_NUMBER " + FakeShard.sequenceOf(BATCH - 1));
  }

  @Test
  void persistentThrottlingFailsTheSourceOnceTheRetriesAreSpent() {
    FakeShard shard = new FakeShard();
    shard.add(1);
    shard.throttles.set(RETRY.maxAttempts());
    assertThatThrownBy(() -> readAll(shard, Optional.empty()))
        .hasRootCauseInstanceOf(ProvisionedThroughputExceededException.class);
    assertThat(shard.getRecordsCalls).hasValue(RETRY.maxAttempts());
  }

  @Test
  void anOpenShardIsPolledWhileIdleAndNewRecordsArrive() throws Exception {
    FakeShard shard = new FakeShard();
    var reader = new ShardReader(shard, "s", new ShardReader.Options(BATCH, IDLE, RETRY));
    var running = reader.source(SHARD, Optional.empty()).runWith(Sink.seq(), system).toCompletableFuture();
    audience.testkit.Poll.until("polled while empty", Duration.ofSeconds(TIMEOUT_S), IDLE,
        shard.getRecordsCalls::get, n -> n > 2);
    assertThat(running).isNotDone();
    shard.add(3);
    shard.close(true);
    assertThat(data(running.get(TIMEOUT_S, TimeUnit.SECONDS))).containsExactly("r0", "r1", "r2");
  }
}
