package audience.kinesis;

import audience.config.Settings.Retry;
import audience.config.Settings.StreamSettings;
import audience.store.Retrying;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Reads one shard by polling: GetShardIterator (AFTER_SEQUENCE_NUMBER of the checkpoint, else TRIM_HORIZON), then
 * GetRecords with the iterator each answer gives. A batch is emitted for every GetRecords that brought records; when
 * an answer brings none and the reader is caught up, the next call waits {@code idlePoll}. The source completes
 * after the batch flagged {@link RecordBatch#shardEnd()}: the shard is closed and drained (no next iterator).
 *
 * <p>Throttling (ProvisionedThroughputExceeded), 5xx and I/O errors are retried with backoff ({@link Retrying});
 * an expired iterator is replaced from the last sequence number read. When the retries are spent the source fails:
 * restart it from the last checkpoint. A record at or before the last one read is never emitted again by one
 * source; across restarts records after the checkpoint come again, so consumers must be idempotent.
 */
public record ShardReader(KinesisAsyncClient kinesis, String stream, Options options) {
  /** {@code batchLimit}: GetRecords Limit; {@code idlePoll}: the pause after an empty answer when caught up. */
  public record Options(int batchLimit, Duration idlePoll, Retry retry) {
    public static Options from(StreamSettings s) {
      return new Options(s.readerBatchLimit(), s.idlePoll(), s.retry());
    }
  }

  /** Where the reader stands: a live iterator (or null when one must be asked for) and the last record read. */
  private record Cursor(String iterator, Optional<String> last, boolean idle, boolean done) {}


  /**
   * The shard's records after {@code from} (from TRIM_HORIZON when empty), batch by batch, up to SHARD_END. From a
   * SHARD_END checkpoint: nothing, the shard is finished.
   */
  public Source<RecordBatch, NotUsed> source(String shardId, Optional<Checkpoint> from) {
    if (from.isPresent() && !from.get().shardId().equals(shardId)) {
      throw new IllegalArgumentException("checkpoint of " + from.get().shardId() + " given to read " + shardId);
    }
    if (from.isPresent() && from.get().isShardEnd()) return Source.empty();
    Cursor start = new Cursor(null, from.map(Checkpoint::marker), false, false);
    return Source.unfoldAsync(start, c -> step(shardId, c))
        .filter(Optional::isPresent)
        .map(Optional::get);
  }

  private CompletionStage<Optional<Pair<Cursor, Optional<RecordBatch>>>> step(String shardId, Cursor c) {
    if (c.done()) return CompletableFuture.completedFuture(Optional.empty());
    Duration pause = c.idle() ? options.idlePoll() : Duration.ZERO;
    return CompletableFuture.supplyAsync(() -> iterator(shardId, c),
            CompletableFuture.delayedExecutor(pause.toMillis(), TimeUnit.MILLISECONDS))
        .thenCompose(it -> it)
        .thenCompose(it -> Retrying.call(options.retry(),
            () -> kinesis.getRecords(b -> b.shardIterator(it).limit(options.batchLimit()))))
        .handle((response, error) -> {
          if (error == null) return Optional.of(next(shardId, c, response));
          if (Retrying.unwrap(error) instanceof ExpiredIteratorException) {
            // An iterator lives five minutes; ask again from the last record read.
            return Optional.of(Pair.create(new Cursor(null, c.last(), false, false), Optional.<RecordBatch>empty()));
          }
          throw new IllegalStateException("reading shard " + shardId + " of " + stream + " failed", Retrying.unwrap(error));
        });
  }

  private CompletableFuture<String> iterator(String shardId, Cursor c) {
    if (c.iterator() != null) return CompletableFuture.completedFuture(c.iterator());
    return Retrying.call(options.retry(), () -> kinesis.getShardIterator(b -> {
      b.streamName(stream).shardId(shardId);
      c.last().ifPresentOrElse(
          seq -> b.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).startingSequenceNumber(seq),
          () -> b.shardIteratorType(ShardIteratorType.TRIM_HORIZON));
    })).thenApply(r -> r.shardIterator());
  }

  private static Pair<Cursor, Optional<RecordBatch>> next(String shardId, Cursor c, GetRecordsResponse response) {
    List<KinesisRecord> records = new ArrayList<>(response.records().size());
    Optional<String> last = c.last();
    for (Record r : response.records()) {
      // Never emit a record at or before one already read (a defence: AFTER_SEQUENCE_NUMBER should not give one).
      if (last.isPresent() && !SequenceNumbers.isAfter(r.sequenceNumber(), last.get())) continue;
      records.add(new KinesisRecord(r.partitionKey(), r.sequenceNumber(), r.data().asByteArrayUnsafe()));
      last = Optional.of(r.sequenceNumber());
    }
    String nextIterator = response.nextShardIterator();
    Long behind = response.millisBehindLatest();
    long millisBehind = behind == null ? RecordBatch.UNKNOWN_BEHIND : behind;
    if (nextIterator == null) {
      return Pair.create(new Cursor(null, last, false, true),
          Optional.of(new RecordBatch(shardId, records, last, true, millisBehind)));
    }
    boolean caughtUp = records.isEmpty() && (behind == null || behind == 0L);
    Optional<RecordBatch> batch = records.isEmpty() ? Optional.empty()
        : Optional.of(new RecordBatch(shardId, records, last, false, millisBehind));
    return Pair.create(new Cursor(nextIterator, last, caughtUp, false), batch);
  }
}
