package audience.kinesis;

import software.amazon.awssdk.services.kinesis.model.Shard;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Which shards of a stream may be consumed now, from a ListShards answer and the shards already finished
 * (checkpointed at SHARD_END). A record's key moves to the children when a shard is split or two are merged, so a
 * child is read only once every parent it has is finished: after a split, the parent; after a merge, both. A parent
 * that has expired from the listing (past the stream's retention) counts as finished: nothing of it is left to read.
 */
public final class ShardLineage {
  private ShardLineage() {}

  /** One shard of a ListShards answer. {@code closed}: it has an ending sequence number (split or merged away). */
  public record ShardInfo(String shardId, Optional<String> parentShardId, Optional<String> adjacentParentShardId,
                          boolean closed) {
    public static ShardInfo open(String shardId) {
      return new ShardInfo(shardId, Optional.empty(), Optional.empty(), false);
    }

    public static ShardInfo of(Shard shard) {
      return new ShardInfo(shard.shardId(), Optional.ofNullable(shard.parentShardId()),
          Optional.ofNullable(shard.adjacentParentShardId()),
          shard.sequenceNumberRange() != null && shard.sequenceNumberRange().endingSequenceNumber() != null);
    }

    /** The parents (none, one after a split, two after a merge). */
    public List<String> parents() {
      return Stream.of(parentShardId, adjacentParentShardId).flatMap(Optional::stream).toList();
    }
  }

  /** The shards of {@code shards} (in their order) not yet finished whose every listed parent is finished. */
  public static List<ShardInfo> startable(List<ShardInfo> shards, Set<String> finished) {
    Set<String> listed = new HashSet<>();
    shards.forEach(s -> listed.add(s.shardId()));
    return shards.stream()
        .filter(s -> !finished.contains(s.shardId()))
        .filter(s -> s.parents().stream().allMatch(p -> finished.contains(p) || !listed.contains(p)))
        .toList();
  }

  /** {@link #startable} from a ListShards answer. */
  public static List<ShardInfo> startableShards(Collection<Shard> shards, Set<String> finished) {
    return startable(shards.stream().map(ShardInfo::of).toList(), finished);
  }
}
