package audience.kinesis;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {
  private static final String SHARD = "shardId-000000000001";
  private static final String BIG = BigInteger.ONE.shiftLeft(128).toString();
  private static final String BIGGER = BigInteger.ONE.shiftLeft(128).add(BigInteger.ONE).toString();

  @Test
  void advanceKeepsTheFurtherSequenceNumberWhicheverComesFirst() {
    Checkpoint at = Checkpoint.after(SHARD, BIG);
    Checkpoint further = Checkpoint.after(SHARD, BIGGER);
    assertThat(at.advance(further)).isEqualTo(further);
    assertThat(further.advance(at)).as("a late checkpoint does not move back").isEqualTo(further);
    assertThat(at.advance(Checkpoint.after(SHARD, "9"))).isEqualTo(at);
    assertThat(Checkpoint.after(SHARD, "9").advance(Checkpoint.after(SHARD, "10")).marker()).isEqualTo("10");
  }

  @Test
  void shardEndIsFinal() {
    Checkpoint end = Checkpoint.shardEnd(SHARD);
    assertThat(Checkpoint.after(SHARD, BIG).advance(end)).isEqualTo(end);
    assertThat(end.advance(Checkpoint.after(SHARD, BIGGER))).isEqualTo(end);
    assertThat(end.isShardEnd()).isTrue();
  }

  @Test
  void theMarkerRoundTrips() {
    assertThat(Checkpoint.parse(SHARD, Checkpoint.shardEnd(SHARD).marker())).isEqualTo(Checkpoint.shardEnd(SHARD));
    assertThat(Checkpoint.shardEnd(SHARD).marker()).isEqualTo(Checkpoint.SHARD_END_MARKER);
    assertThat(Checkpoint.parse(SHARD, BIGGER)).isEqualTo(Checkpoint.after(SHARD, BIGGER));
  }

  @Test
  void anotherShardsCheckpointOrAGarbledNumberIsRefused() {
    assertThatThrownBy(() -> Checkpoint.after(SHARD, "1").advance(Checkpoint.after("shardId-000000000002", "2")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shardId-000000000002");
    assertThatThrownBy(() -> Checkpoint.after(SHARD, "12x")).isInstanceOf(IllegalArgumentException.class);
  }
}
