package audience.ingestion;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The tracker's state is a pure function of its events: counting once per chunk, in any order. */
class CompletionTrackerStateTest {
  private static final RunSpec SPEC = new RunSpec("r1", "b", "p/", RunSpec.UNKNOWN, "test");

  @Test
  void chunksRecordedOutOfOrderMoveTheWatermarkOnlyWhenContiguous() {
    var s = CompletionTracker.State.empty()
        .apply(new CompletionTracker.ChunkRecorded(2, 10, 9, 1, Instant.EPOCH))
        .apply(new CompletionTracker.ChunkRecorded(0, 10, 10, 0, Instant.EPOCH));
    assertThat(s.watermark()).isEqualTo(1);
    assertThat(s.recorded(2)).isTrue();
    assertThat(s.recorded(1)).isFalse();
    s = s.apply(new CompletionTracker.ChunkRecorded(1, 10, 10, 0, Instant.EPOCH));
    assertThat(s.watermark()).isEqualTo(3);
    assertThat(s.above()).isEmpty();
    assertThat(s.settledFiles()).isEqualTo(30);
    assertThat(s.ingested()).isEqualTo(29);
    assertThat(s.quarantined()).isEqualTo(1);
  }

  @Test
  void readyToCompleteOnlyOnceTheListingIsClosedAndEveryChunkIsIn() {
    var s = CompletionTracker.State.empty().apply(new CompletionTracker.ChunkRecorded(0, 5, 5, 0, Instant.EPOCH));
    assertThat(s.readyToComplete()).isFalse();
    s = s.apply(new CompletionTracker.ListingClosed(SPEC, Instant.EPOCH, 2, 9));
    assertThat(s.readyToComplete()).isFalse();
    s = s.apply(new CompletionTracker.ChunkRecorded(1, 4, 3, 1, Instant.EPOCH));
    assertThat(s.readyToComplete()).isTrue();
    s = s.apply(new CompletionTracker.Completed(Instant.EPOCH, ""));
    assertThat(s.readyToComplete()).isFalse();
    assertThat(s.completed()).isTrue();
  }

  @Test
  void anEmptyListingIsReadyAtOnce() {
    var s = CompletionTracker.State.empty().apply(new CompletionTracker.ListingClosed(SPEC, Instant.EPOCH, 0, 0));
    assertThat(s.readyToComplete()).isTrue();
  }
}
