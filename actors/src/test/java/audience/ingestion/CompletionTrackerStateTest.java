package audience.ingestion;

import audience.ingestion.CompletionTracker.ChunkRecorded;
import audience.ingestion.CompletionTracker.Completed;
import audience.ingestion.CompletionTracker.ListingClosed;
import audience.ingestion.CompletionTracker.State;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The tracker's state is a pure function of its events: counting once per chunk, in any order. */
class CompletionTrackerStateTest {
  private static final RunSpec SPEC = new RunSpec("r1", "b", "p/", RunSpec.UNKNOWN, "test");

  @Test
  void chunksRecordedOutOfOrderMoveTheWatermarkOnlyWhenContiguous() {
    State s = new ChunkRecorded(0, 10, 10, 0, Instant.EPOCH).applyTo(
        new ChunkRecorded(2, 10, 9, 1, Instant.EPOCH).applyTo(State.EMPTY));
    assertThat(s.chunks().watermark()).isEqualTo(1);
    assertThat(s.chunks().contains(2)).isTrue();
    assertThat(s.chunks().contains(1)).isFalse();
    s = new ChunkRecorded(1, 10, 10, 0, Instant.EPOCH).applyTo(s);
    assertThat(s.chunks().watermark()).isEqualTo(3);
    assertThat(s.chunks().above()).isEmpty();
    assertThat(s.counts().settledFiles()).isEqualTo(30);
    assertThat(s.counts().ingested()).isEqualTo(29);
    assertThat(s.counts().quarantined()).isEqualTo(1);
  }

  @Test
  void readyToCompleteOnlyOnceTheListingIsClosedAndEveryChunkIsIn() {
    State s = new ChunkRecorded(0, 5, 5, 0, Instant.EPOCH).applyTo(State.EMPTY);
    assertThat(s.readyToComplete()).isFalse();
    s = new ListingClosed(SPEC, Instant.EPOCH, 2, 9).applyTo(s);
    assertThat(s.readyToComplete()).isFalse();
    s = new ChunkRecorded(1, 4, 3, 1, Instant.EPOCH).applyTo(s);
    assertThat(s.readyToComplete()).isTrue();
    s = new Completed(Instant.EPOCH, "").applyTo(s);
    assertThat(s.readyToComplete()).isFalse();
    assertThat(s.completed()).isTrue();
    assertThat(s.completion().notified()).isFalse();
  }

  @Test
  void anEmptyListingIsReadyAtOnce() {
    assertThat(new ListingClosed(SPEC, Instant.EPOCH, 0, 0).applyTo(State.EMPTY).readyToComplete()).isTrue();
  }
}
