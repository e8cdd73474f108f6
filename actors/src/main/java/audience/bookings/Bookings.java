package audience.bookings;

import audience.store.BookingStore;
import audience.store.BookingStore.BookingRow;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The bookings feature: {@link #init} starts the segment booking entities and the booking creator on a node and
 * wakes bookings with an effect due (after a crash) periodically; the instance it returns is what the HTTP routes
 * and the CLI do with bookings: book, cancel, list, run the creator now.
 */
public final class Bookings {
  private static final Logger log = LoggerFactory.getLogger(Bookings.class);
  /** Statuses whose bookings may have an effect due: an intent without its outcome, or a notification. */
  private static final List<Booking.Status> WAKE = List.of(Booking.Status.GENERATING, Booking.Status.GENERATED,
      Booking.Status.UPLOADING, Booking.Status.UPLOADED, Booking.Status.FAILED);

  private final ClusterSharding sharding;
  private final BookingStore store;
  private final Duration askTimeout;
  private final Duration wakeWithin;
  private final Duration rowPoll;
  private final Clock clock;

  /** What the feature needs beside the entities' own dependencies. */
  public record Dependencies(SegmentBooking.Dependencies bookings, CreatorSchedule schedule, BookingStore store,
                             Duration wakeInterval, Duration wakeFailedWithin, Duration creatorRetry,
                             Duration rowPollInterval) {}

  private Bookings(ClusterSharding sharding, BookingStore store, Duration askTimeout, Duration wakeWithin,
                   Duration rowPoll, Clock clock) {
    this.sharding = sharding;
    this.store = store;
    this.askTimeout = askTimeout;
    this.wakeWithin = wakeWithin;
    this.rowPoll = rowPoll;
    this.clock = clock;
  }

  /** Registers the entities on this node, wakes the creator and schedules the wake of bookings with effects due. */
  public static Bookings init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding sharding = ClusterSharding.get(system);
    SegmentBooking.Dependencies b = deps.bookings();
    SegmentBooking.init(system, b);
    BookingCreator.init(system, new BookingCreator.Dependencies(deps.schedule(),
        () -> deps.store().list(Optional.of(Booking.Status.REQUESTED.wire()), Optional.empty())
            .thenApply(rows -> rows.stream().map(r -> new BookingCreator.BookingRef(r.segmentId(), r.bookingId()))
                .toList()),
        ref -> sharding.entityRefFor(SegmentBooking.TYPE_KEY, ref.segmentId())
            .tell(new SegmentBooking.Generate(ref.bookingId())),
        deps.creatorRetry(), b.clock()));
    Bookings bookings = new Bookings(sharding, deps.store(), b.askTimeout(), deps.wakeFailedWithin(),
        deps.rowPollInterval(), b.clock());
    system.scheduler().scheduleAtFixedRate(Duration.ZERO, deps.wakeInterval(), bookings::wake,
        system.executionContext());
    return bookings;
  }

  /** Books {@code segmentId} for {@code sendDate}; a refusal fails the stage with its reason (StatusReply error). */
  public CompletionStage<Booking> book(String segmentId, String campaign, LocalDate sendDate, String requestedBy) {
    return segment(segmentId).<Booking>askWithStatus(r -> new SegmentBooking.Book(campaign, sendDate, requestedBy, r),
        askTimeout).thenCompose(this::readable);
  }

  /** Cancels a booking (before its upload starts); NoSuchElementException for an unknown one. */
  public CompletionStage<Booking> cancel(String bookingId) {
    return require(bookingId).thenCompose(row -> segment(row.segmentId())
        .<Booking>askWithStatus(r -> new SegmentBooking.Cancel(bookingId, r), askTimeout)).thenCompose(this::readable);
  }

  /**
   * {@code b} once the read model shows it (its row at least as new as {@code b}), so that whoever booked or
   * cancelled reads their own write by id or in a list: the entity writes the row just after its event. Bounded by
   * the ask timeout; past it {@code b} is answered anyway (the row follows, written until it succeeds).
   */
  private CompletionStage<Booking> readable(Booking b) {
    return readable(b, clock.instant().plus(askTimeout));
  }

  private CompletionStage<Booking> readable(Booking b, java.time.Instant deadline) {
    return store.get(b.bookingId())
        .handle((row, error) -> error == null && row.isPresent() && !row.get().updatedAt().isBefore(b.updatedAt()))
        .thenCompose(shown -> {
          if (shown) return CompletableFuture.completedFuture(b);
          if (!clock.instant().isBefore(deadline)) {
            log.debug("booking {}: its row is not in the read model yet; answering without it", b.bookingId());
            return CompletableFuture.completedFuture(b);
          }
          return CompletableFuture.supplyAsync(() -> b, CompletableFuture.delayedExecutor(rowPoll.toMillis(),
              java.util.concurrent.TimeUnit.MILLISECONDS)).thenCompose(next -> readable(next, deadline));
        });
  }

  /** A booking as its entity has it now. */
  public CompletionStage<Booking> get(String bookingId) {
    return require(bookingId).thenCompose(row -> segment(row.segmentId())
        .ask(SegmentBooking.GetBookings::new, askTimeout)
        .thenApply(all -> all.stream().filter(x -> x.bookingId().equals(bookingId)).findFirst()
            .orElseThrow(() -> new NoSuchElementException("no booking " + bookingId))));
  }

  /** A booking's row in the read model, empty for an unknown id. */
  public CompletionStage<Optional<BookingRow>> row(String bookingId) {
    return store.get(bookingId);
  }

  /** Every booking of a segment as its entity has it now (lifecycle history included). */
  public CompletionStage<List<Booking>> ofSegment(String segmentId) {
    return segment(segmentId).ask(SegmentBooking.GetBookings::new, askTimeout);
  }

  /** Bookings from the read model, by status and segment. */
  public CompletionStage<List<BookingRow>> list(Optional<String> status, Optional<String> segmentId) {
    return store.list(status, segmentId);
  }

  /** Runs the booking creator now; answers how many bookings it asked to write their audience. */
  public CompletionStage<BookingCreator.Run> runCreator() {
    return creator().askWithStatus(BookingCreator.RunNow::new, askTimeout);
  }

  private CompletionStage<BookingRow> require(String bookingId) {
    return store.get(bookingId).thenApply(r -> r.orElseThrow(() -> new NoSuchElementException("no booking "
        + bookingId)));
  }

  /** Bookings with an effect that may be due, recently changed (older failed ones were notified long ago). */
  private void wake() {
    creator().tell(new BookingCreator.Wake());
    Instant since = clock.instant().minus(wakeWithin);
    store.list(Optional.empty(), Optional.empty()).whenComplete((rows, error) -> {
      if (error != null) {
        log.warn("could not read the bookings to wake: {}", error.toString());
        return;
      }
      rows.stream().filter(r -> WAKE.stream().anyMatch(s -> s.wire().equals(r.status()))
              && (!r.status().equals(Booking.Status.FAILED.wire()) || r.updatedAt().isAfter(since)))
          .map(BookingRow::segmentId).distinct()
          .forEach(seg -> segment(seg).tell(new SegmentBooking.Wake()));
    });
  }

  private EntityRef<SegmentBooking.Command> segment(String segmentId) {
    return sharding.entityRefFor(SegmentBooking.TYPE_KEY, segmentId);
  }

  private EntityRef<BookingCreator.Command> creator() {
    return sharding.entityRefFor(BookingCreator.TYPE_KEY, BookingCreator.ID);
  }
}
