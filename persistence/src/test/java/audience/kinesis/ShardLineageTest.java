package audience.kinesis;

import audience.kinesis.ShardLineage.ShardInfo;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ShardLineageTest {
  private static final String A = "shardId-000000000000";
  private static final String B = "shardId-000000000001";
  private static final String C = "shardId-000000000002";
  private static final String D = "shardId-000000000003";
  private static final String E = "shardId-000000000004";

  private static ShardInfo closed(String id) {
    return new ShardInfo(id, Optional.empty(), Optional.empty(), true);
  }

  private static ShardInfo child(String id, String parent) {
    return new ShardInfo(id, Optional.of(parent), Optional.empty(), false);
  }

  private static ShardInfo merged(String id, String parent, String adjacent) {
    return new ShardInfo(id, Optional.of(parent), Optional.of(adjacent), false);
  }

  private static List<String> ids(List<ShardInfo> shards) {
    return shards.stream().map(ShardInfo::shardId).toList();
  }

  @Test
  void afterASplitTheChildrenWaitForTheParentsShardEnd() {
    // A split into C and D; B untouched.
    List<ShardInfo> listing = List.of(closed(A), ShardInfo.open(B), child(C, A), child(D, A));
    assertThat(ids(ShardLineage.startable(listing, Set.of()))).containsExactly(A, B);
    assertThat(ids(ShardLineage.startable(listing, Set.of(A)))).containsExactly(B, C, D);
    assertThat(ids(ShardLineage.startable(listing, Set.of(A, B, C, D)))).isEmpty();
  }

  @Test
  void aMergedChildWaitsForBothParents() {
    // A and B merged into C; D untouched.
    List<ShardInfo> listing = List.of(closed(A), closed(B), merged(C, A, B), ShardInfo.open(D));
    assertThat(ids(ShardLineage.startable(listing, Set.of()))).containsExactly(A, B, D);
    assertThat(ids(ShardLineage.startable(listing, Set.of(A)))).containsExactly(B, D);
    assertThat(ids(ShardLineage.startable(listing, Set.of(B)))).containsExactly(A, D);
    assertThat(ids(ShardLineage.startable(listing, Set.of(A, B)))).containsExactly(C, D);
  }

  @Test
  void parentsExpiredFromTheListingDoNotHoldTheirChildrenBack() {
    // A split into C and D, then C and D merged into E; A has aged out of the stream.
    List<ShardInfo> listing = List.of(child(C, A), child(D, A), merged(E, C, D));
    assertThat(ids(ShardLineage.startable(listing, Set.of()))).containsExactly(C, D);
    assertThat(ids(ShardLineage.startable(listing, Set.of(C)))).containsExactly(D);
    // only one listed parent of a merge remains: the other has expired
    assertThat(ids(ShardLineage.startable(List.of(closed(D), merged(E, C, D)), Set.of(D)))).containsExactly(E);
  }

  @Test
  void aListShardsAnswerIsReadWithItsParentsAndWhetherItIsClosed() {
    Shard parent = Shard.builder().shardId(A)
        .sequenceNumberRange(r -> r.startingSequenceNumber("1").endingSequenceNumber("99")).build();
    Shard mergedChild = Shard.builder().shardId(C).parentShardId(A).adjacentParentShardId(B)
        .sequenceNumberRange(r -> r.startingSequenceNumber("100")).build();
    assertThat(ShardInfo.of(parent).closed()).isTrue();
    assertThat(ShardInfo.of(mergedChild)).isEqualTo(merged(C, A, B));
    assertThat(ShardInfo.of(mergedChild).parents()).containsExactly(A, B);
    assertThat(ids(ShardLineage.startableShards(List.of(parent, mergedChild), Set.of(A))))
        .as("B is not listed: expired").containsExactly(C);
  }
}
