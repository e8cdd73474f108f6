package audience.kinesis;

import java.util.List;
import java.util.Optional;

/**
 * What one GetRecords gave for a shard, in sequence order. {@code lastSequenceNumber}: the last record read from the
 * shard so far (this batch's last, or an earlier batch's when this one is empty). {@code shardEnd}: the shard is
 * closed and this is its last batch. Checkpoint {@link #checkpoint()} once the effects of these records are done.
 */
public record RecordBatch(String shardId, List<KinesisRecord> records, Optional<String> lastSequenceNumber,
                          boolean shardEnd) {
  public RecordBatch {
    records = List.copyOf(records);
  }

  /** The checkpoint that covers this batch: SHARD_END for the last one, else after its last sequence number. */
  public Optional<Checkpoint> checkpoint() {
    if (shardEnd) return Optional.of(Checkpoint.shardEnd(shardId));
    return lastSequenceNumber.map(s -> Checkpoint.after(shardId, s));
  }
}
