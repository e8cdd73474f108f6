package audience.segments;

import audience.config.Settings;
import audience.kinesis.Checkpoint;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The shard consumer's commands, events and state survive Jackson CBOR (the journal, snapshots and remoting). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SegmentSerializationTest {
  /** A real sequence number: 56 digits, beyond a long. */
  private static final String SEQ = "49590338271490256608559692538361571095921575989136588898";
  private static final String SHARD = "shardId-000000000001";
  private ActorTestKit testKit;
  private SerializationTestKit serialization;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create("segment-serialization", Settings.load().config());
    serialization = new SerializationTestKit(testKit.system());
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  private void roundTrip(Object o) {
    assertThat(serialization.verifySerialization(o, true)).isEqualTo(o);
  }

  @Test
  void eventsAndStateRoundTrip() {
    roundTrip(new SegmentShardConsumer.CheckpointAdvanced(SEQ));
    roundTrip(new SegmentShardConsumer.ShardFinished(SEQ));
    roundTrip(new SegmentShardConsumer.ShardFinished(null));
    SegmentShardConsumer.State state = new SegmentShardConsumer.State(SHARD, null);
    roundTrip(state);
    state = new SegmentShardConsumer.CheckpointAdvanced(SEQ).applyTo(state);
    assertThat(state.position()).contains(Checkpoint.after(SHARD, SEQ));
    roundTrip(state);
    state = new SegmentShardConsumer.ShardFinished(SEQ).applyTo(state);
    assertThat(state.finished()).isTrue();
    roundTrip(state);
  }

  @Test
  void commandsRoundTrip() {
    TestProbe<SegmentShardConsumer.Status> status = testKit.createTestProbe();
    TestProbe<StatusReply<Done>> done = testKit.createTestProbe();
    roundTrip(new SegmentShardConsumer.Wake(List.of("shardId-000000000000", "shardId-000000000002")));
    roundTrip(new SegmentShardConsumer.Wake(List.of()));
    roundTrip(new SegmentShardConsumer.GetStatus(status.getRef()));
    roundTrip(new SegmentShardConsumer.Status(SHARD, SEQ, false, true));
    roundTrip(new SegmentShardConsumer.BatchDone(3, SEQ, true, 500, 1_200, done.getRef()));
    roundTrip(new SegmentShardConsumer.ParentsChecked(2, List.of("shardId-000000000000")));
    roundTrip(new SegmentShardConsumer.StreamEnded(4, "java.io.IOException: reset"));
    roundTrip(new SegmentShardConsumer.RestartStream(4));
  }

  @Test
  void generatorEventsStateAndViewRoundTrip() {
    java.time.Instant at = java.time.Instant.parse("2026-11-27T08:00:00Z");
    var requested = new SegmentGenerator.GenerationRequested("run-1", "g-1", at.minusSeconds(60), at, at, at);
    var published = new SegmentGenerator.SegmentsPublished(12, 5_000, 800, 40, at);
    var written = new SegmentGenerator.ManifestWritten("manifest/g-1.json", true, "g-0", at.plusSeconds(1));
    roundTrip(requested);
    roundTrip(new SegmentGenerator.RegenerationRequested(at));
    roundTrip(published);
    roundTrip(written);
    SegmentGenerator.State state = written.applyTo(published.applyTo(requested.applyTo(SegmentGenerator.State.EMPTY)));
    assertThat(state.phase()).isEqualTo(SegmentGenerator.Phase.COMPLETED);
    assertThat(state.timings()).isEqualTo(new SegmentGenerator.Timings(5_000, 800, 40, 1_000));
    roundTrip(state);
    roundTrip(new SegmentGenerator.View("run-1", "g-1", SegmentGenerator.Phase.COMPLETED, 12, "manifest/g-1.json", true,
        at, at, at, at, at, 1_000, state.timings(), ""));
  }
}
