package audience.ingestion;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * How an entity keeps its part of the runs read model: at most once per {@code interval}, always when forced
 * (state changes), fire and forget (the row is versioned, so a lost or late write is repaired by the next).
 */
final class ReadModelWriter {
  private static final Logger log = LoggerFactory.getLogger(ReadModelWriter.class);

  private final String runId;
  private final String part;
  private final Clock clock;
  private final Duration interval;
  private Instant last = Instant.EPOCH;

  ReadModelWriter(String runId, String part, Clock clock, Duration interval) {
    this.runId = runId;
    this.part = part;
    this.clock = clock;
    this.interval = interval;
  }

  /** Writes unless one was written less than {@code interval} ago (always when forced); answers when it is done. */
  CompletionStage<Void> write(boolean force, Supplier<CompletionStage<Void>> write) {
    Instant now = clock.instant();
    if (!force && now.isBefore(last.plus(interval))) return CompletableFuture.completedFuture(null);
    last = now;
    CompletionStage<Void> written = write.get();
    written.whenComplete((ok, e) -> {
      if (e != null) log.warn("run {}: {} read model write failed: {}", runId, part, e.toString());
    });
    return written;
  }
}
