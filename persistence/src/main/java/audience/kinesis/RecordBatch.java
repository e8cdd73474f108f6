package audience.kinesis;

import java.util.List;
import java.util.Optional;

/**
 * What one GetRecords gave for a shard, in sequence order. {@code lastSequenceNumber}: the last record read from the
 * shard so far (this batch's last, or an earlier batch's when this one is empty). {@code shardEnd}: the shard is
 * closed and this is its last batch. Checkpoint {@link #checkpoint()} once the effects of these records are done.
 * {@code millisBehindLatest}: how far the batch was behind the shard's newest record (GetRecords' MillisBehindLatest;
 * {@link #UNKNOWN_BEHIND} when the answer did not say).
 */
public record RecordBatch(String shardId, List<KinesisRecord> records, Optional<String> lastSequenceNumber,
                          boolean shardEnd, long millisBehindLatest) {
  public static final long UNKNOWN_BEHIND = -1;

  public RecordBatch {
    records = List.copyOf(records);
  }

  public RecordBatch(String shardId, List<KinesisRecord> records, Optional<String> lastSequenceNumber,
                     boolean shardEnd) {
    this(shardId, records, lastSequenceNumber, shardEnd, UNKNOWN_BEHIND);
  }

  /** The checkpoint that covers this batch: SHARD_END for the last one, else after its last sequence number. */
  public Optional<Checkpoint> checkpoint() {
    if (shardEnd) return Optional.of(Checkpoint.shardEnd(shardId));
    return lastSequenceNumber.map(s -> Checkpoint.after(shardId, s));
  }
}
