package audience.ingestion;

import audience.CborSerializable;

import java.time.Instant;

/**
 * The done event: published once a run's last file is settled, to in-cluster subscribers of
 * {@link #TOPIC} and as JSON to the notifications SNS topic. Subscribers key on {@code runId}: after a
 * crash between publishing and recording it, the event is published again (at least once).
 * {@code lastFileSettledAt} is when a worker stored the run's last file: done latency is measured from it.
 * {@code dataTime} is the newest {@code lastActive} among the run's valid files (null when it had none, or for a
 * run completed before it was recorded): the time the data describes, which segment windows end at.
 */
public record IngestionDone(String runId, String bucket, String prefix, long listed, long ingested,
                            long quarantined, String warning, Instant startedAt, Instant lastFileSettledAt,
                            Instant completedAt, Instant dataTime)
    implements CborSerializable {
  public static final String TOPIC = "ingestion-done";

  public IngestionDone(String runId, String bucket, String prefix, long listed, long ingested, long quarantined,
                       String warning, Instant startedAt, Instant lastFileSettledAt, Instant completedAt) {
    this(runId, bucket, prefix, listed, ingested, quarantined, warning, startedAt, lastFileSettledAt, completedAt,
        null);
  }
}
