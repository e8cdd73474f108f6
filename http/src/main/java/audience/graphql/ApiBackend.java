package audience.graphql;

import audience.store.ReadCache;
import audience.bookings.Booking;
import audience.bookings.Bookings;
import audience.ingestion.Ingestion;
import audience.ingestion.IngestionRun;
import audience.ingestion.IngestionStatus;
import audience.ingestion.RunSpec;
import audience.segments.Manifest;
import audience.segments.SegmentGenerations;
import audience.segments.SegmentGenerator;
import audience.store.BookingStore.BookingRow;
import audience.store.QuarantineStore;
import audience.store.SegmentStore;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * What the API reads and does, in one place: the read models and entities of a node. The data fetchers and data
 * loaders call nothing else, so a test can count the calls a query makes.
 */
public interface ApiBackend {
  CompletionStage<Optional<Manifest>> latestManifest();

  /** A generation's segments that {@code filter} keeps: the run's, else the latest manifest's. */
  CompletionStage<SegmentGenerations.Listing> segments(Optional<String> runId, SegmentStore.Filter filter);

  /** Bookings from the read model by status and segment (empty: any). */
  CompletionStage<List<BookingRow>> bookings(Optional<String> status, Optional<String> segmentId);

  CompletionStage<Optional<BookingRow>> booking(String bookingId);

  /** Every booking of a segment as its entity has it (with the lifecycle history). */
  CompletionStage<List<Booking>> segmentBookings(String segmentId);

  CompletionStage<List<Ingestion.RunSummary>> runs();

  CompletionStage<Optional<IngestionStatus>> run(String runId);

  CompletionStage<QuarantineStore.Page> quarantine(String runId, String kind, String afterKey, int limit);

  CompletionStage<Booking> book(String segmentId, String campaign, LocalDate sendDate, String requestedBy);

  CompletionStage<Booking> cancelBooking(String bookingId);

  CompletionStage<IngestionRun.Started> startIngestion(RunSpec spec);

  CompletionStage<IngestionRun.View> pauseIngestion(String runId);

  CompletionStage<IngestionRun.View> resumeIngestion(String runId);

  CompletionStage<IngestionRun.View> cancelIngestion(String runId);

  CompletionStage<SegmentGenerator.View> regenerate(String runId);

  /** The backend of a running node, reading the read models afresh every time. */
  static ApiBackend of(Ingestion ingestion, SegmentGenerations segments, Bookings bookings,
                       QuarantineStore quarantine) {
    return of(ingestion, segments, bookings, quarantine, Duration.ZERO, 0, Clock.systemUTC());
  }

  /**
   * The backend of a running node that keeps the latest manifest and each (run, filter)'s segments for
   * {@code readCacheTtl} ({@code audience.api.read-cache-ttl}, at most {@code maxEntries} of each): the pages the front end asks for most.
   */
  static ApiBackend of(Ingestion ingestion, SegmentGenerations segments, Bookings bookings,
                       QuarantineStore quarantine, Duration readCacheTtl, int maxEntries, Clock clock) {
    record ListingKey(Optional<String> runId, SegmentStore.Filter filter) {}
    ReadCache<Boolean, Optional<Manifest>> manifests = new ReadCache<>(readCacheTtl, clock, maxEntries);
    ReadCache<ListingKey, SegmentGenerations.Listing> listings = new ReadCache<>(readCacheTtl, clock, maxEntries);
    return new ApiBackend() {
      @Override
      public CompletionStage<Optional<Manifest>> latestManifest() {
        return manifests.get(Boolean.TRUE, segments::latest);
      }

      @Override
      public CompletionStage<SegmentGenerations.Listing> segments(Optional<String> runId, SegmentStore.Filter f) {
        return listings.get(new ListingKey(runId, f), () -> segments.list(runId, f));
      }

      @Override
      public CompletionStage<List<BookingRow>> bookings(Optional<String> status, Optional<String> segmentId) {
        return bookings.list(status, segmentId);
      }

      @Override
      public CompletionStage<Optional<BookingRow>> booking(String bookingId) {
        return bookings.row(bookingId);
      }

      @Override
      public CompletionStage<List<Booking>> segmentBookings(String segmentId) {
        return bookings.ofSegment(segmentId);
      }

      @Override
      public CompletionStage<List<Ingestion.RunSummary>> runs() {
        return ingestion.list();
      }

      @Override
      public CompletionStage<Optional<IngestionStatus>> run(String runId) {
        return ingestion.status(runId);
      }

      @Override
      public CompletionStage<QuarantineStore.Page> quarantine(String runId, String kind, String afterKey, int limit) {
        return quarantine.page(runId, kind, afterKey, limit);
      }

      @Override
      public CompletionStage<Booking> book(String segmentId, String campaign, LocalDate sendDate, String by) {
        return bookings.book(segmentId, campaign, sendDate, by);
      }

      @Override
      public CompletionStage<Booking> cancelBooking(String bookingId) {
        return bookings.cancel(bookingId);
      }

      @Override
      public CompletionStage<IngestionRun.Started> startIngestion(RunSpec spec) {
        return ingestion.start(spec);
      }

      @Override
      public CompletionStage<IngestionRun.View> pauseIngestion(String runId) {
        return ingestion.pause(runId);
      }

      @Override
      public CompletionStage<IngestionRun.View> resumeIngestion(String runId) {
        return ingestion.resume(runId);
      }

      @Override
      public CompletionStage<IngestionRun.View> cancelIngestion(String runId) {
        return ingestion.cancel(runId);
      }

      @Override
      public CompletionStage<SegmentGenerator.View> regenerate(String runId) {
        return segments.regenerate(runId);
      }
    };
  }
}
