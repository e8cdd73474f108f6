package audience.ingestion;

import audience.ingestion.CompletionTracker.ChunkRecorded;
import audience.ingestion.CompletionTracker.Completed;
import audience.ingestion.CompletionTracker.Counts;
import audience.ingestion.CompletionTracker.ListingClosed;
import audience.ingestion.CompletionTracker.State;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The tracker's state is a pure function of its events; its tally follows the run's progress until completion. */
class CompletionTrackerStateTest {
  private static final RunSpec SPEC = new RunSpec("r1", "b", "p/", RunSpec.UNKNOWN, "test");
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void theTallyFollowsTheRunsProgressAndNeverGoesBack() {
    Counts early = new Counts(2, 20, 19, 1, T);
    Counts later = new Counts(5, 50, 48, 2, T.plusSeconds(1));
    assertThat(State.EMPTY.tally(later).settledFiles()).isEqualTo(50);
    assertThat(early.isBehind(later)).isTrue();
    assertThat(later.isBehind(early)).isFalse();
    assertThat(State.EMPTY.tally(Counts.NONE).settledFiles()).isZero();
  }

  @Test
  void completionFixesTheCountsTheRunFinishedWith() {
    Counts totals = new Counts(3, 25, 24, 1, T);
    State s = new ListingClosed(SPEC, T, 3, 25, totals).applyTo(State.EMPTY);
    s = new Completed(T.plusSeconds(1), "").applyTo(s);
    assertThat(s.completed()).isTrue();
    assertThat(s.completion().notified()).isFalse();
    var tally = s.tally(new Counts(9, 90, 90, 0, T)); // a late, wrong progress report changes nothing
    assertThat(tally.settledFiles()).isEqualTo(25);
    assertThat(tally.ingested()).isEqualTo(24);
    assertThat(tally.quarantined()).isEqualTo(1);
    assertThat(tally.totalFiles()).isEqualTo(25);
    assertThat(s.done("r1").listed()).isEqualTo(25);
  }

  @Test
  void journalsFromBeforeTheWatermarkStillReplay() {
    State s = new ChunkRecorded(0, 10, 10, 0, T).applyTo(new ChunkRecorded(1, 5, 4, 1, T).applyTo(State.EMPTY));
    s = new ListingClosed(SPEC, T, 2, 15, null).applyTo(s);
    s = new Completed(T, "").applyTo(s);
    assertThat(s.tally(Counts.NONE).settledFiles()).isEqualTo(15);
    assertThat(s.tally(Counts.NONE).quarantined()).isEqualTo(1);
  }
}
