package audience.ingestion;

import audience.store.RunPhase;

import java.time.Duration;
import java.time.Instant;

/**
 * A run's progress as operators see it (GET /ops/ingestions/{id}, ./audience status): the run entity's view
 * merged with the tracker's counts, with the rate so far and an ETA (-1 while unknown). {@code redriveOf}: the run
 * whose quarantined files this run redrives, null for a run over a prefix.
 */
public record IngestionStatus(String runId, String bucket, String prefix, RunPhase state, long expectedFiles,
                              long listed, boolean listingFinished, long settled, long ingested, long quarantined,
                              int chunksInFlight, String offset, Instant startedAt, Instant completedAt,
                              String warning, double filesPerSecond, long etaSeconds, String stallReason,
                              String redriveOf) {

  public static IngestionStatus of(IngestionRun.View v, CompletionTracker.Tally p, Instant now) {
    RunPhase state = RunPhase.shown(v.phase(), p.completed());
    Instant end = p.completed() ? p.completedAt() : now;
    double seconds = Math.max(Duration.between(v.startedAt(), end).toMillis(), 1) / 1000.0;
    double rate = p.settledFiles() / seconds;
    long total = p.listingClosed() ? p.totalFiles()
        : v.spec().expectedFiles() != RunSpec.UNKNOWN ? v.spec().expectedFiles() : -1;
    // an ETA only while the run moves: a stalled or paused run shows none rather than a figure that never changes
    long eta = p.completed() ? 0 : state != RunPhase.RUNNING || total < 0 || rate <= 0 ? -1
        : (long) Math.ceil((total - p.settledFiles()) / rate);
    return new IngestionStatus(v.runId(), v.spec().bucket(), v.spec().prefix(), state, v.spec().expectedFiles(),
        p.listingClosed() ? p.totalFiles() : v.listed(), p.listingClosed(), p.settledFiles(), p.ingested(),
        p.quarantined(), v.chunksInFlight(), v.offset(), v.startedAt(), p.completedAt(), p.warning(),
        Math.round(rate * 10) / 10.0, Math.max(eta, -1), state == RunPhase.STALLED ? v.stallReason() : "",
        v.spec().redriveOf());
  }

  public boolean done() {
    return state.ended();
  }
}
