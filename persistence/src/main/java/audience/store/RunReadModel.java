package audience.store;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The runs read model: the run entity and the completion tracker each write their own part of a run's row,
 * versioned by their journal sequence number so that a replay or a late write never moves the row backwards;
 * listings and the wake of unfinished runs read it. {@link RunStore} is the DynamoDB table; the entity tests keep
 * rows in memory.
 */
public interface RunReadModel {
  CompletionStage<Void> write(RunStore.RunPart run, long version);

  CompletionStage<Void> write(RunStore.TallyPart tally, long version);

  /** Records that {@code runId} redrives the quarantined files of {@code redriveOf} (idempotent). */
  CompletionStage<Void> linkRedrive(String runId, String redriveOf);

  /** Every run, newest first. */
  CompletionStage<List<RunStore.Row>> list();

  /**
   * Runs that were started and have not ended, and completed runs whose done event is not confirmed sent: to be
   * woken after a restart and periodically.
   */
  default CompletionStage<List<RunStore.Row>> unfinished() {
    return list().thenApply(rows -> rows.stream()
        .filter(r -> !r.phase().ended() || (r.tally().completed() && !r.tally().notified())).toList());
  }
}
