package audience.bookings;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Where a segment stands in the latest generation: whether it may be booked, and its metadata document. */
@FunctionalInterface
public interface SegmentLookup {
  /** A segment of the latest generation; {@code active} false once a newer generation retired it. */
  record Bookable(String segmentId, String generationId, String metadataKey, long audience, boolean active) {}

  CompletionStage<Optional<Bookable>> current(String segmentId);
}
