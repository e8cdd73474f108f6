package audience.graphql;

import audience.bookings.Booking;
import audience.bookings.BookingRules;
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
import org.apache.pekko.pattern.StatusReply;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory backend: {@code segments} segments of one generation, each with {@code bookingsPerSegment} bookings;
 * it counts every call by method, and {@link #hang} makes reads never answer (for the timeout).
 */
final class FakeBackend implements ApiBackend {
  static final String GENERATION = "g-test";
  static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
  final List<SegmentStore.SegmentRow> segments = new ArrayList<>();
  final List<BookingRow> bookings = new ArrayList<>();
  final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  /** Reads of each booking's row, by id (a subscription's polls). */
  final Map<String, AtomicInteger> bookingReads = new ConcurrentHashMap<>();
  volatile boolean hang;
  /** Bookings as their entities have them (with history), by id: shown by booking() and segmentBookings(). */
  final Map<String, Booking> entities = new ConcurrentHashMap<>();
  /** Runs' statuses by id. */
  final Map<String, IngestionStatus> runs = new ConcurrentHashMap<>();

  FakeBackend(int segmentCount, int bookingsPerSegment) {
    for (int i = 0; i < segmentCount; i++) {
      String id = String.format("s-%03d", i);
      segments.add(new SegmentStore.SegmentRow(GENERATION, id, i % 2 == 0 ? "NSW" : "VIC", "Suburb" + (i % 5),
          "buy", "house", "0-500000", 10 + i, "metadata/" + GENERATION + "/" + id + ".json", "c" + i, 100, "run-1",
          AT, SegmentStore.ACTIVE));
      for (int b = 0; b < bookingsPerSegment; b++) {
        bookings.add(new BookingRow(String.format("b-%020x", i * 100L + b), id, "campaign", LocalDate.of(2030, 1, 1 + b),
            "alice", "requested", AT.plusSeconds(i * 100L + b), AT, 0, "", "", 0, "", 0, 0, 1));
      }
    }
  }

  int calls(String method) {
    return calls.getOrDefault(method, new AtomicInteger()).get();
  }

  int totalCalls() {
    return calls.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  private <T> CompletionStage<T> answer(String method, T value) {
    calls.computeIfAbsent(method, k -> new AtomicInteger()).incrementAndGet();
    return hang ? new CompletableFuture<>() : CompletableFuture.completedFuture(value);
  }

  @Override
  public CompletionStage<Optional<Manifest>> latestManifest() {
    return answer("latestManifest", Optional.empty());
  }

  @Override
  public CompletionStage<SegmentGenerations.Listing> segments(Optional<String> runId, SegmentStore.Filter filter) {
    return answer("segments", new SegmentGenerations.Listing(GENERATION,
        segments.stream().filter(filter).toList()));
  }

  @Override
  public CompletionStage<List<BookingRow>> bookings(Optional<String> status, Optional<String> segmentId) {
    return answer("bookings", bookings.stream().filter(b -> status.isEmpty() || b.status().equals(status.get()))
        .filter(b -> segmentId.isEmpty() || b.segmentId().equals(segmentId.get())).toList());
  }

  @Override
  public CompletionStage<Optional<BookingRow>> booking(String bookingId) {
    Booking entity = entities.get(bookingId);
    bookingReads.computeIfAbsent(bookingId, k -> new AtomicInteger()).incrementAndGet();
    if (entity != null) return answer("booking", Optional.of(row(entity)));
    return answer("booking", bookings.stream().filter(b -> b.bookingId().equals(bookingId)).findFirst());
  }

  @Override
  public CompletionStage<List<Booking>> segmentBookings(String segmentId) {
    return answer("segmentBookings", entities.values().stream().filter(b -> b.segmentId().equals(segmentId))
        .toList());
  }

  /** The read model's row of an entity's booking: its version moves with each status it enters and its notification. */
  static BookingRow row(Booking b) {
    return new BookingRow(b.bookingId(), b.segmentId(), b.campaign(), b.sendDate(), b.requestedBy(), b.status().wire(),
        b.createdAt(), b.updatedAt(), b.attempts(), b.lastError(), "", 0, "", 0, 0,
        b.history().size() + (b.notified() ? 1 : 0));
  }

  @Override
  public CompletionStage<List<Ingestion.RunSummary>> runs() {
    return answer("runs", List.of());
  }

  @Override
  public CompletionStage<Optional<IngestionStatus>> run(String runId) {
    return answer("run", Optional.ofNullable(runs.get(runId)));
  }

  @Override
  public CompletionStage<QuarantineStore.Page> quarantine(String runId, String kind, String afterKey, int limit) {
    return answer("quarantine", new QuarantineStore.Page(List.of(), null));
  }

  /** Books like the entity would refuse: a past date, an unknown segment; records who booked. */
  @Override
  public CompletionStage<Booking> book(String segmentId, String campaign, LocalDate sendDate, String requestedBy) {
    calls.computeIfAbsent("book", k -> new AtomicInteger()).incrementAndGet();
    Optional<String> refused = BookingRules.refuseBooking(List.of(), sendDate, LocalDate.now())
        .or(() -> segments.stream().anyMatch(s -> s.segmentId().equals(segmentId)) ? Optional.empty()
            : BookingRules.refuseSegment(Optional.empty(), segmentId));
    if (refused.isPresent()) return CompletableFuture.failedFuture(new StatusReply.ErrorMessage(refused.get()));
    return CompletableFuture.completedFuture(new Booking(BookingRules.bookingId(segmentId, sendDate, 0), segmentId,
        campaign, sendDate, requestedBy, AT, GENERATION, "k", Booking.Status.REQUESTED, AT, 0, "", null, Map.of(),
        null, "", false, List.of(new Booking.Transition(Booking.Status.REQUESTED, AT))));
  }

  @Override
  public CompletionStage<Booking> cancelBooking(String bookingId) {
    return CompletableFuture.failedFuture(new NoSuchElementException("no booking " + bookingId));
  }

  @Override
  public CompletionStage<IngestionRun.Started> startIngestion(RunSpec spec) {
    return answer("startIngestion", new IngestionRun.Started(spec.runId(), true));
  }

  @Override
  public CompletionStage<IngestionRun.View> pauseIngestion(String runId) {
    return CompletableFuture.failedFuture(new StatusReply.ErrorMessage("run " + runId + " is completed"));
  }

  @Override
  public CompletionStage<IngestionRun.View> resumeIngestion(String runId) {
    return pauseIngestion(runId);
  }

  @Override
  public CompletionStage<IngestionRun.View> cancelIngestion(String runId) {
    return pauseIngestion(runId);
  }

  @Override
  public CompletionStage<SegmentGenerator.View> regenerate(String runId) {
    return CompletableFuture.failedFuture(new NoSuchElementException("no run " + runId));
  }
}
