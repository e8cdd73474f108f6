package audience.graphql;

import audience.bookings.Booking;
import audience.ingestion.Ingestion;
import audience.ingestion.IngestionStatus;
import audience.segments.Manifest;
import audience.segments.SegmentGenerator;
import audience.store.BookingStore.BookingRow;
import audience.store.QuarantineStore;
import audience.store.SegmentStore.SegmentRow;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The objects the schema's types are read from (graphql-java reads a record's accessors by field name): aggregates
 * only, no member and no personal data. Timestamps are ISO-8601 strings; counts beyond an Int are capped.
 */
final class Views {
  private Views() {}

  static int count(long n) {
    return (int) Math.min(n, Integer.MAX_VALUE);
  }

  static String time(Instant t) {
    return t == null ? null : t.toString();
  }

  static String enumValue(String wire) {
    return wire.toUpperCase(Locale.ROOT);
  }

  record ManifestNode(String generationId, String sourceRunId, String dataTime, String generatedAt, int segmentCount) {
    static ManifestNode of(Manifest m) {
      return new ManifestNode(m.generationId(), m.sourceRunId(), time(m.dataTime()), time(m.generatedAt()),
          m.segmentCount());
    }
  }

  record SegmentNode(String id, String generationId, String state, String suburb, String intent, String propertyType,
                     String priceBand, int audience, String metadataKey, String checksum, int bytes,
                     String sourceRunId, String generatedAt, String status) {
    static SegmentNode of(SegmentRow r) {
      return new SegmentNode(r.segmentId(), r.generation(), r.state(), r.suburb(), r.intent(), r.propertyType(),
          r.priceBand(), count(r.audience()), r.metadataKey(), r.checksum(), count(r.bytes()), r.sourceRunId(),
          time(r.generatedAt()), r.status());
    }
  }

  record TransitionNode(String status, String at) {}

  /** {@code history} null when the booking came from the read model (the history is then loaded on demand). */
  record BookingNode(String id, String segmentId, String campaign, String sendDate, String requestedBy, String status,
                     String createdAt, String updatedAt, int attempts, String lastError, int members, int imported,
                     int rejected, List<TransitionNode> history) {
    static BookingNode of(BookingRow r) {
      return new BookingNode(r.bookingId(), r.segmentId(), r.campaign(), r.sendDate().toString(), r.requestedBy(),
          enumValue(r.status()), time(r.createdAt()), time(r.updatedAt()), r.attempts(), r.lastError(),
          count(r.members()), count(r.imported()), count(r.rejected()), null);
    }

    static BookingNode of(Booking b) {
      return new BookingNode(b.bookingId(), b.segmentId(), b.campaign(), b.sendDate().toString(), b.requestedBy(),
          b.status().name(), time(b.createdAt()), time(b.updatedAt()), b.attempts(), b.lastError(),
          b.audience() == null ? 0 : count(b.audience().members()), b.upload() == null ? 0 : count(b.upload().imported()),
          b.upload() == null ? 0 : count(b.upload().rejected()), history(b));
    }

    static List<TransitionNode> history(Booking b) {
      return b.history().stream().map(t -> new TransitionNode(t.status().name(), time(t.at()))).toList();
    }
  }

  record ProgressNode(int settled, boolean listingFinished, int chunksInFlight, double filesPerSecond,
                      int etaSeconds) {
    static ProgressNode of(IngestionStatus s) {
      return new ProgressNode(count(s.settled()), s.listingFinished(), s.chunksInFlight(), s.filesPerSecond(),
          (int) Math.max(Math.min(s.etaSeconds(), Integer.MAX_VALUE), -1));
    }
  }

  /** {@code progress} null when the run came from the read model (then loaded from its entities on demand). */
  record RunNode(String id, String phase, String bucket, String prefix, int expectedFiles, int listed, int ingested,
                 int quarantined, String warning, String startedAt, String completedAt, String stallReason,
                 String redriveOf, ProgressNode progress) {
    static RunNode of(Ingestion.RunSummary r) {
      return new RunNode(r.runId(), r.state().name(), r.bucket(), r.prefix(), (int) Math.max(r.expectedFiles(), -1),
          count(r.listed()), count(r.ingested()), count(r.quarantined()), nonNull(r.warning()), time(r.startedAt()),
          time(r.completedAt()), nonNull(r.stallReason()), r.redriveOf(), null);
    }

    static RunNode of(IngestionStatus s) {
      return new RunNode(s.runId(), s.state().name(), s.bucket(), s.prefix(), (int) Math.max(s.expectedFiles(), -1),
          count(s.listed()), count(s.ingested()), count(s.quarantined()), nonNull(s.warning()), time(s.startedAt()),
          time(s.completedAt()), nonNull(s.stallReason()), s.redriveOf(), ProgressNode.of(s));
    }
  }

  record QuarantinedNode(String fileKey, String kind, String reason, String at) {
    static QuarantinedNode of(QuarantineStore.Quarantined q) {
      return new QuarantinedNode(q.fileKey(), q.kind(), q.reason(), time(q.at()));
    }
  }

  record GenerationNode(String runId, String generationId, String phase, int segments) {
    static GenerationNode of(SegmentGenerator.View v) {
      return new GenerationNode(v.runId(), v.generationId(), v.phase().wire(), count(v.segments()));
    }
  }

  record DomainErrorNode(String code, String message) {}

  record BookingPayload(BookingNode booking, DomainErrorNode error) {}

  record RunPayload(RunNode run, DomainErrorNode error) {}

  record GenerationPayload(GenerationNode generation, DomainErrorNode error) {}

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }
}
