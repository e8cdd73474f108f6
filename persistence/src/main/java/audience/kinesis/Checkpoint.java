package audience.kinesis;

import java.util.Objects;

/**
 * How far a consumer has processed one shard: after a sequence number, or to its end ({@link ShardEnd}, the shard
 * is closed and drained, its children may start). A consumer checkpoints only after the effects of every record up
 * to it; {@link #advance} never moves backwards, so a late or repeated checkpoint cannot undo progress.
 */
public record Checkpoint(String shardId, Position position) {
  /** What a store keeps for a finished shard (the KCL's marker too). */
  public static final String SHARD_END_MARKER = "SHARD_END";

  /** Where in its shard a checkpoint stands. */
  public sealed interface Position permits After, ShardEnd {}

  /** Every record up to and including {@code sequenceNumber} is processed; resume AFTER_SEQUENCE_NUMBER. */
  public record After(String sequenceNumber) implements Position {
    public After {
      SequenceNumbers.parse(sequenceNumber);
    }
  }

  /** The shard is closed and every record of it processed. */
  public enum ShardEnd implements Position { INSTANCE }

  public Checkpoint {
    Objects.requireNonNull(shardId, "shardId");
    Objects.requireNonNull(position, "position");
  }

  public static Checkpoint after(String shardId, String sequenceNumber) {
    return new Checkpoint(shardId, new After(sequenceNumber));
  }

  public static Checkpoint shardEnd(String shardId) {
    return new Checkpoint(shardId, ShardEnd.INSTANCE);
  }

  /** Reads what {@link #marker()} wrote. */
  public static Checkpoint parse(String shardId, String marker) {
    return SHARD_END_MARKER.equals(marker) ? shardEnd(shardId) : after(shardId, marker);
  }

  public boolean isShardEnd() {
    return position == ShardEnd.INSTANCE;
  }

  /** The sequence number, or {@link #SHARD_END_MARKER}: the form to store. */
  public String marker() {
    return position instanceof After a ? a.sequenceNumber() : SHARD_END_MARKER;
  }

  /**
   * The further of this and {@code newer}: SHARD_END is final, otherwise the greater sequence number wins.
   *
   * @throws IllegalArgumentException for a checkpoint of another shard
   */
  public Checkpoint advance(Checkpoint newer) {
    if (!shardId.equals(newer.shardId)) {
      throw new IllegalArgumentException("checkpoint of " + newer.shardId + " cannot advance one of " + shardId);
    }
    if (isShardEnd()) return this;
    if (newer.isShardEnd()) return newer;
    return SequenceNumbers.isAfter(newer.marker(), marker()) ? newer : this;
  }
}
