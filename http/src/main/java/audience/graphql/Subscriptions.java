package audience.graphql;

import audience.bookings.Booking;
import audience.graphql.Views.BookingNode;
import audience.graphql.Views.RunNode;
import audience.store.BookingStore.BookingRow;
import graphql.schema.DataFetchingEnvironment;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.AsPublisher;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The subscriptions' sources: each polls what the queries read (through {@link ApiBackend}, so any node serves any
 * booking or run: the read models and the sharded entities are cluster-wide) every poll interval and emits only what
 * changed, then completes after the last event. An unknown id fails the fetch (NOT_FOUND) before any stream starts.
 *
 * <p>A booking's events come from its entity's history (every status it entered, in order), read when the booking's
 * row in the read model shows a new version: no status is ever skipped, however fast the booking moves between two
 * polls. A poll that fails (a store or entity slow to answer) is logged and retried at the next tick.
 */
final class Subscriptions {
  private static final Logger log = LoggerFactory.getLogger(Subscriptions.class);

  private final ApiBackend backend;
  private final Duration pollInterval;

  Subscriptions(ApiBackend backend, Duration pollInterval) {
    this.backend = backend;
    this.pollInterval = pollInterval;
  }

  /** One status a booking entered: the schema's BookingEvent. */
  record BookingEventNode(String bookingId, String status, String at, int sequence, boolean terminal,
                          BookingNode booking) {}

  /**
   * The events of {@code b} after the first {@code sent} of its history, in order; the one of a terminal status is
   * marked terminal. A booking recovered from before histories were kept shows its current status as its history.
   */
  static List<BookingEventNode> events(Booking b, int sent) {
    List<Booking.Transition> history = b.history().isEmpty()
        ? List.of(new Booking.Transition(b.status(), b.updatedAt())) : b.history();
    BookingNode node = BookingNode.of(b);
    List<BookingEventNode> out = new ArrayList<>();
    for (int i = sent; i < history.size(); i++) {
      Booking.Transition t = history.get(i);
      out.add(new BookingEventNode(b.bookingId(), t.status().name(), Views.time(t.at()), i + 1,
          t.status().terminal(), node));
    }
    return out;
  }

  /**
   * One poll of a booking: the events it found, and whether the booking is done, so that the subscription completes:
   * a terminal status with no effect due (a failed booking once its failure notification is confirmed sent).
   */
  record BookingBatch(List<BookingEventNode> events, boolean done) {
    static final BookingBatch NOTHING = new BookingBatch(List.of(), false);

    static BookingBatch of(Booking b, int sent) {
      return new BookingBatch(Subscriptions.events(b, sent), b.status().terminal() && !b.notificationDue());
    }
  }

  /** What a run subscriber is told about: a change of anything but the rate and the ETA, which move on every poll. */
  record RunShape(String phase, int listed, int ingested, int quarantined, int settled, boolean listingFinished,
                  int chunksInFlight, String warning, String stallReason, String completedAt) {
    static RunShape of(RunNode r) {
      Views.ProgressNode p = r.progress();
      return new RunShape(r.phase(), r.listed(), r.ingested(), r.quarantined(), p == null ? 0 : p.settled(),
          p != null && p.listingFinished(), p == null ? 0 : p.chunksInFlight(), r.warning(), r.stallReason(),
          r.completedAt());
    }
  }

  /** Whether {@code next} is worth sending after {@code previous} (null: nothing sent yet). */
  static boolean changed(RunNode previous, RunNode next) {
    return previous == null || !RunShape.of(previous).equals(RunShape.of(next));
  }

  static boolean ended(RunNode r) {
    return audience.store.RunPhase.valueOf(r.phase()).ended();
  }

  CompletionStage<Publisher<Object>> bookingChanged(DataFetchingEnvironment env) {
    String id = Fetchers.bookingId(env.getArgument("id"));
    Materializer mat = materializer(env);
    return backend.booking(id).thenApply(row -> {
      if (row.isEmpty()) throw new ApiException(ErrorCode.NOT_FOUND, "no booking " + id);
      log.debug("subscription to booking {} started", id);
      BookingPoll poll = new BookingPoll(id);
      return Source.tick(Duration.ZERO, pollInterval, NotUsed.getInstance())
          .mapAsync(1, tick -> poll.next())
          .takeWhile(batch -> !batch.done(), true)
          .mapConcat(BookingBatch::events)
          .<Object>map(e -> e)
          .runWith(Sink.asPublisher(AsPublisher.WITHOUT_FANOUT), mat);
    });
  }

  CompletionStage<Publisher<Object>> runProgress(DataFetchingEnvironment env) {
    String id = Fetchers.runId(env.getArgument("id"));
    Materializer mat = materializer(env);
    return backend.run(id).thenApply(status -> {
      if (status.isEmpty()) throw new ApiException(ErrorCode.NOT_FOUND, "no run " + id);
      log.debug("subscription to run {} started", id);
      RunPoll poll = new RunPoll(id);
      return Source.tick(Duration.ZERO, pollInterval, NotUsed.getInstance())
          .mapAsync(1, tick -> poll.next())
          .mapConcat(changes -> changes)
          .takeWhile(r -> !ended(r), true)
          .<Object>map(r -> r)
          .runWith(Sink.asPublisher(AsPublisher.WITHOUT_FANOUT), mat);
    });
  }

  private static Materializer materializer(DataFetchingEnvironment env) {
    Materializer m = env.getGraphQlContext().get(GraphQlApi.SOCKET_MATERIALIZER);
    if (m == null) throw new ApiException(ErrorCode.BAD_REQUEST, "subscriptions are served over a WebSocket");
    return m;
  }

  /** A booking's poll: the row's version, and the entity's history when it moved (one poll at a time: mapAsync(1)). */
  private final class BookingPoll {
    private final String bookingId;
    private long version = -1;
    private int sent;

    BookingPoll(String bookingId) {
      this.bookingId = bookingId;
    }

    CompletionStage<BookingBatch> next() {
      return backend.booking(bookingId).thenCompose(row -> {
        if (row.isEmpty() || row.get().version() == version) return CompletableFuture.completedFuture(
            BookingBatch.NOTHING);
        BookingRow r = row.get();
        return backend.segmentBookings(r.segmentId()).thenApply(all -> {
          Optional<Booking> b = all.stream().filter(x -> x.bookingId().equals(bookingId)).findFirst();
          if (b.isEmpty()) return BookingBatch.NOTHING;
          BookingBatch batch = BookingBatch.of(b.get(), sent);
          sent += batch.events().size();
          version = r.version();
          return batch;
        });
      }).exceptionally(e -> {
        log.info("a poll of booking {} for its subscription failed, trying again: {}", bookingId,
            DomainErrors.unwrap(e).toString());
        return BookingBatch.NOTHING;
      });
    }
  }

  /** A run's poll: its status when it changed. */
  private final class RunPoll {
    private final String runId;
    private RunNode last;

    RunPoll(String runId) {
      this.runId = runId;
    }

    CompletionStage<List<RunNode>> next() {
      return backend.run(runId).thenApply(s -> {
        if (s.isEmpty()) return List.<RunNode>of();
        RunNode now = RunNode.of(s.get());
        if (!changed(last, now)) return List.<RunNode>of();
        last = now;
        return List.of(now);
      }).exceptionally(e -> {
        log.info("a poll of run {} for its subscription failed, trying again: {}", runId,
            DomainErrors.unwrap(e).toString());
        return List.of();
      });
    }
  }
}
