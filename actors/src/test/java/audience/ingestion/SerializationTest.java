package audience.ingestion;

import audience.config.Settings;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Events, snapshots and cluster messages survive Jackson CBOR (what the journal and remoting use). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SerializationTest {
  private static final RunSpec SPEC = new RunSpec("r-1", "bucket", "p/", 12, "ops");
  private static final Instant AT = Instant.parse("2026-11-26T10:15:30.123Z");
  private ActorTestKit testKit;
  private SerializationTestKit serialization;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create("serialization", Settings.load().config());
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
  void supervisorEventsAndStateRoundTrip() {
    roundTrip(new IngestionSupervisor.RunStarted(SPEC, AT));
    roundTrip(new IngestionSupervisor.ChunksCommitted("p/k ü.json", 7, 700));
    roundTrip(new IngestionSupervisor.ListingFinished(9, 812));
    roundTrip(new IngestionSupervisor.ControlChanged(IngestionSupervisor.Control.PAUSED, AT));
    roundTrip(new IngestionSupervisor.State(SPEC, AT, IngestionSupervisor.Control.RUNNING, "p/k", 3, 300, true, 9, 812));
  }

  @Test
  void trackerEventsAndSnapshotStateRoundTrip() {
    roundTrip(new CompletionTracker.ChunkRecorded(4, 100, 98, 2, AT));
    roundTrip(new CompletionTracker.ListingClosed(SPEC, AT, 9, 812));
    roundTrip(new CompletionTracker.Completed(AT, "expected 12 files, listed 812"));
    roundTrip(new CompletionTracker.Notified("msg-1", AT));
    CompletionTracker.State state = CompletionTracker.State.empty()
        .apply(new CompletionTracker.ChunkRecorded(0, 100, 99, 1, AT))
        .apply(new CompletionTracker.ChunkRecorded(5, 100, 100, 0, AT))
        .apply(new CompletionTracker.ChunkRecorded(3, 100, 100, 0, AT))
        .apply(new CompletionTracker.ListingClosed(SPEC, AT, 9, 812));
    assertThat(state.above()).isEqualTo(new TreeSet<>(List.of(3L, 5L)));
    roundTrip(state);
  }

  @Test
  void messagesAcrossNodesRoundTrip() {
    roundTrip(new FileWorker.ProcessChunk("r-1", "bucket", 3, 2, List.of(new FileRef("p/a.json", 512))));
    roundTrip(new IngestionSupervisor.ChunkSettled(3, 2, 99, 1, AT));
    roundTrip(new CompletionTracker.RecordChunk(3, 100, 99, 1, AT));
    roundTrip(new IngestionDone("r-1", "bucket", "p/", 812, 800, 12, "", AT, AT, AT));
  }
}
