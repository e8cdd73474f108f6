package audience.bookings;

import audience.store.Retrying;

import audience.CborSerializable;
import audience.bookings.Booking.Status;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;

/**
 * The bookings of one segment (entity key and persistence id {@code SegmentBooking}, entity id = segment id), each
 * driven through its lifecycle ({@link Booking}) by outboxes: the intent is persisted, the effect done, the outcome
 * persisted; recovery (and every wake) redoes intents without outcomes.
 * <ol>
 *   <li>{@link GenerationStarted} → the audience file ({@link AudienceWriter}) → {@link AudienceGenerated};</li>
 *   <li>{@link UploadStarted} → the chunked import ({@link AudienceUploader}), whose every job id
 *       ({@link ChunkJobCreated}) and chunk outcome ({@link ChunkImported}) is persisted as it goes →
 *       {@link Uploaded};</li>
 *   <li>{@link Uploaded} or {@link BookingFailed} → the notification ({@link BookingNotifier}) →
 *       {@link NotificationSent}.</li>
 * </ol>
 * A failed attempt is an {@link AttemptFailed} (attempts and last error, in the read model); after
 * {@code max-attempts}, a refusal, or when the send date passes first, the booking fails. Illegal transitions are
 * refused with the reason ({@link BookingRules}). The read model is written after every event, versioned by the
 * entity's sequence number, so it never moves backwards.
 */
public final class SegmentBooking extends EventSourcedBehaviorWithEnforcedReplies<SegmentBooking.Command,
    SegmentBooking.Event, SegmentBooking.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "SegmentBooking");
  private static final Logger log = LoggerFactory.getLogger(SegmentBooking.class);
  private static final double PERSIST_RESTART_JITTER = 0.2;
  private static final String DEADLINE_TIMER = "deadlines";
  private static final int SNAPSHOT_EVERY = 100;
  private static final int SNAPSHOTS_KEPT = 2;

  /** Registers the entity with sharding on this node. */
  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY, e -> create(e.getEntityId(), deps)));
  }

  // ---- what the entity needs

  /** Writes a booking's audience file; answers where, how many members, checksum. */
  @FunctionalInterface
  public interface AudienceWriter {
    CompletionStage<Booking.Audience> write(String bookingId, String metadataKey);
  }

  /** Publishes a booking's final transition (uploaded or failed); answers the message id. */
  @FunctionalInterface
  public interface BookingNotifier {
    CompletionStage<String> notify(Booking booking);
  }

  /** Keeps the bookings read model; {@code version} only grows. */
  @FunctionalInterface
  public interface BookingReadModel {
    CompletionStage<Void> write(Booking booking, long version);
  }

  /** Retries of the audience file, and the zone that says which day it is (send dates are local dates). */
  public record Policy(int maxAttempts, Duration minBackoff, Duration maxBackoff, Duration deadlineCheck,
                       ZoneId zone) {}

  public record Dependencies(SegmentLookup segments, AudienceWriter audiences, AudienceUploader uploader,
                             BookingNotifier notifier, BookingReadModel readModel, Policy policy, Duration askTimeout,
                             Clock clock, BookingMetrics metrics) {}

  // ---- protocol

  public sealed interface Command extends CborSerializable
      permits Book, Cancel, GetBookings, Generate, Wake, SegmentChecked, AudienceWritten, StepFailed, Retry,
      UploadProgress, UploadEnded, NotificationDone, RowWritten, WriteRow {}

  /** Books the segment for {@code sendDate}; a repeat of a live booking (same campaign and booker) answers it. */
  public record Book(String campaign, LocalDate sendDate, String requestedBy, ActorRef<StatusReply<Booking>> replyTo)
      implements Command {}

  public record Cancel(String bookingId, ActorRef<StatusReply<Booking>> replyTo) implements Command {}

  public record GetBookings(ActorRef<List<Booking>> replyTo) implements Command {}

  /** From the booking creator: write the booking's audience now (ignored unless it is requested). */
  public record Generate(String bookingId) implements Command {}

  /** After a restart and periodically: redo what is due (outbox intents, deadlines). */
  public record Wake() implements Command {}

  record SegmentChecked(Book book, Optional<SegmentLookup.Bookable> segment, String error) implements Command {}

  record AudienceWritten(String bookingId, Booking.Audience audience) implements Command {}

  /** An effect failed; {@code permanent}: retrying cannot help. */
  record StepFailed(String bookingId, String step, String error, boolean permanent) implements Command {}

  record Retry(String bookingId) implements Command {}

  /** From the uploader, answered once persisted: a chunk's job id, a chunk's counts, or a failed attempt. */
  record UploadProgress(String bookingId, int chunk, String jobId, long imported, long rejected, String error,
                        ActorRef<StatusReply<Done>> replyTo) implements Command {}

  record UploadEnded(String bookingId, AudienceUploader.Result result, String error) implements Command {}

  record NotificationDone(String bookingId, String messageId, String error) implements Command {}

  /** A read model write ended ({@code error} null when it succeeded). */
  record RowWritten(String bookingId, String error) implements Command {}

  /** Timer: write the booking's read model row again (the last write failed). */
  record WriteRow(String bookingId) implements Command {}

  // ---- events: each applies itself

  public sealed interface Event extends CborSerializable
      permits BookingRequested, BookingCancelled, GenerationStarted, AudienceGenerated, UploadStarted,
      ChunkJobCreated, ChunkImported, Uploaded, AttemptFailed, BookingFailed, NotificationSent {
    String bookingId();

    State applyTo(State state);
  }

  public record BookingRequested(String bookingId, String campaign, LocalDate sendDate, String requestedBy,
                                 String generationId, String metadataKey, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(Booking.requested(bookingId, s.segmentId(), campaign, sendDate, requestedBy, generationId,
          metadataKey, at));
    }
  }

  public record BookingCancelled(String bookingId, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).with(Status.CANCELLED, at));
    }
  }

  public record GenerationStarted(String bookingId, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).with(Status.GENERATING, at));
    }
  }

  public record AudienceGenerated(String bookingId, Booking.Audience audience, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).generated(audience, at));
    }
  }

  public record UploadStarted(String bookingId, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).with(Status.UPLOADING, at));
    }
  }

  public record ChunkJobCreated(String bookingId, int chunk, String jobId, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).chunk(chunk, new Booking.ChunkJob(jobId, -1, -1), at));
    }
  }

  public record ChunkImported(String bookingId, int chunk, String jobId, long imported, long rejected, Instant at)
      implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).chunk(chunk, new Booking.ChunkJob(jobId, imported, rejected), at));
    }
  }

  public record Uploaded(String bookingId, int chunks, long imported, long rejected, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).uploaded(new Booking.Upload(chunks, imported, rejected), at));
    }
  }

  public record AttemptFailed(String bookingId, String error, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).attemptFailed(error, at));
    }
  }

  public record BookingFailed(String bookingId, String reason, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).failed(reason, at));
    }
  }

  public record NotificationSent(String bookingId, String messageId, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(s.get(bookingId).notifiedAt(at));
    }
  }

  /** The segment's bookings by id; {@code segmentId} null until the first event is applied. */
  public record State(String segmentId, Map<String, Booking> bookings) implements CborSerializable {
    public State {
      bookings = bookings == null ? Map.of() : Map.copyOf(new TreeMap<>(bookings));
    }

    Booking get(String bookingId) {
      Booking b = bookings.get(bookingId);
      if (b == null) throw new IllegalStateException("no booking " + bookingId + " of segment " + segmentId);
      return b;
    }

    State with(Booking b) {
      Map<String, Booking> next = new TreeMap<>(bookings);
      next.put(b.bookingId(), b);
      return new State(b.segmentId(), next);
    }

    long bookedOn(LocalDate sendDate) {
      return bookings.values().stream().filter(b -> b.sendDate().equals(sendDate)).count();
    }
  }

  private final String segmentId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  /** Bookings with an effect under way in this instance (a wake must not start a second). */
  private final Set<String> busy = new HashSet<>();

  public static Behavior<Command> create(String segmentId, Dependencies deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new SegmentBooking(segmentId, ctx, timers, deps)));
  }

  private SegmentBooking(String segmentId, ActorContext<Command> ctx, TimerScheduler<Command> timers,
                         Dependencies deps) {
    super(PersistenceId.of(TYPE_KEY.name(), segmentId), SupervisorStrategy.restartWithBackoff(
        deps.policy().minBackoff(), deps.policy().maxBackoff(), PERSIST_RESTART_JITTER));
    this.segmentId = segmentId;
    this.ctx = ctx;
    this.timers = timers;
    this.deps = deps;
  }

  @Override
  public State emptyState() {
    return new State(segmentId, Map.of());
  }

  // ---- commands (one state shape: the per-booking status decides)

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forAnyState()
        .onCommand(Book.class, this::book)
        .onCommand(SegmentChecked.class, this::segmentChecked)
        .onCommand(Cancel.class, this::cancel)
        .onCommand(GetBookings.class, (s, c) -> Effect().reply(c.replyTo(), List.copyOf(s.bookings().values())))
        .onCommand(Generate.class, this::generate)
        .onCommand(Wake.class, this::wake)
        .onCommand(Retry.class, (s, c) -> redo(s, c.bookingId()))
        .onCommand(AudienceWritten.class, this::audienceWritten)
        .onCommand(StepFailed.class, this::stepFailed)
        .onCommand(UploadProgress.class, this::uploadProgress)
        .onCommand(UploadEnded.class, this::uploadEnded)
        .onCommand(NotificationDone.class, this::notificationDone)
        .onCommand(RowWritten.class, (s, c) -> {
          if (c.error() != null) {
            log.warn("booking {}: read model not written, writing it again in {}: {}", c.bookingId(),
                deps.policy().minBackoff(), c.error());
            timers.startSingleTimer("row-" + c.bookingId(), new WriteRow(c.bookingId()), deps.policy().minBackoff());
          }
          return Effect().noReply();
        })
        .onCommand(WriteRow.class, (s, c) -> {
          writeRow(s.get(c.bookingId()), lastSequenceNumber(ctx));
          return Effect().noReply();
        });
    return b.build();
  }

  private LocalDate today() {
    return LocalDate.ofInstant(deps.clock().instant(), deps.policy().zone());
  }

  private Instant now() {
    return deps.clock().instant();
  }

  private ReplyEffect<Event, State> book(State state, Book book) {
    Optional<Booking> same = live(state, book);
    if (same.isPresent()) return Effect().reply(book.replyTo(), StatusReply.success(same.get()));
    Optional<String> refused = BookingRules.refuseBooking(state.bookings().values(), book.sendDate(), today());
    if (refused.isPresent()) return Effect().reply(book.replyTo(), StatusReply.error(refused.get()));
    ctx.pipeToSelf(deps.segments().current(segmentId), (segment, error) ->
        new SegmentChecked(book, error == null ? segment : Optional.empty(), error == null ? null : error.toString()));
    return Effect().noReply();
  }

  /** The live booking a repeated Book names (same date, campaign and booker), if any. */
  private static Optional<Booking> live(State state, Book book) {
    return state.bookings().values().stream().filter(b -> b.sendDate().equals(book.sendDate())
        && b.status().holdsSendDate() && b.campaign().equals(book.campaign())
        && b.requestedBy().equals(book.requestedBy())).findFirst();
  }

  private ReplyEffect<Event, State> segmentChecked(State state, SegmentChecked checked) {
    Book book = checked.book();
    if (checked.error() != null) {
      return Effect().reply(book.replyTo(), StatusReply.error("the segments read model did not answer; nothing is "
          + "booked, ask again (" + checked.error() + ")"));
    }
    Optional<Booking> same = live(state, book);
    if (same.isPresent()) return Effect().reply(book.replyTo(), StatusReply.success(same.get()));
    Optional<String> refused = BookingRules.refuseBooking(state.bookings().values(), book.sendDate(), today())
        .or(() -> BookingRules.refuseSegment(checked.segment(), segmentId));
    if (refused.isPresent()) return Effect().reply(book.replyTo(), StatusReply.error(refused.get()));
    SegmentLookup.Bookable segment = checked.segment().orElseThrow();
    String bookingId = BookingRules.bookingId(segmentId, book.sendDate(), state.bookedOn(book.sendDate()));
    return persist(new BookingRequested(bookingId, book.campaign(), book.sendDate(), book.requestedBy(),
            segment.generationId(), segment.metadataKey(), now()))
        // not who asked: a token's subject may be an address (the read model keeps it, logs do not)
        .thenRun(s -> log.info("booking {} of segment {} requested for {} ({})", bookingId, segmentId,
            book.sendDate(), book.campaign()))
        .thenReply(book.replyTo(), s -> StatusReply.success(s.get(bookingId)));
  }

  private ReplyEffect<Event, State> cancel(State state, Cancel cancel) {
    Booking b = state.bookings().get(cancel.bookingId());
    if (b == null) {
      return Effect().reply(cancel.replyTo(), StatusReply.error("no booking " + cancel.bookingId() + " of segment "
          + segmentId));
    }
    Optional<String> refused = BookingRules.refuseCancel(b);
    if (refused.isPresent()) return Effect().reply(cancel.replyTo(), StatusReply.error(refused.get()));
    return persist(new BookingCancelled(b.bookingId(), now()))
        .thenRun(s -> log.info("booking {} of segment {} cancelled", b.bookingId(), segmentId))
        .thenReply(cancel.replyTo(), s -> StatusReply.success(s.get(b.bookingId())));
  }

  private ReplyEffect<Event, State> generate(State state, Generate g) {
    Booking b = state.bookings().get(g.bookingId());
    if (b == null || b.status() != Status.REQUESTED) return Effect().noReply(); // unknown, or already on its way
    if (b.sendDate().isBefore(today())) return fail(b, "the send date " + b.sendDate() + " passed before it was made");
    return persist(new GenerationStarted(b.bookingId(), now())).thenRun(s -> writeAudience(s.get(b.bookingId())))
        .thenNoReply();
  }

  // ---- effects

  private void writeAudience(Booking b) {
    if (!busy.add(b.bookingId())) return;
    log.info("booking {}: writing the audience of segment {}", b.bookingId(), segmentId);
    ctx.pipeToSelf(deps.audiences().write(b.bookingId(), b.metadataKey()), (audience, error) -> error == null
        ? new AudienceWritten(b.bookingId(), audience)
        : new StepFailed(b.bookingId(), "audience file", String.valueOf(error), false));
  }

  private ReplyEffect<Event, State> audienceWritten(State state, AudienceWritten written) {
    busy.remove(written.bookingId());
    Booking b = state.get(written.bookingId());
    if (b.status() != Status.GENERATING) return Effect().noReply(); // cancelled meanwhile
    Instant at = now();
    return persist(List.of(new AudienceGenerated(b.bookingId(), written.audience(), at),
        new UploadStarted(b.bookingId(), at))).thenRun(s -> {
          Booking next = s.get(b.bookingId());
          log.info("booking {}: audience {} written ({} members); uploading", b.bookingId(), next.audience().key(),
              next.audience().members());
          upload(next);
        }).thenNoReply();
  }

  private void upload(Booking b) {
    if (!busy.add(b.bookingId())) return;
    ActorRef<Command> self = ctx.getSelf();
    String id = b.bookingId();
    AudienceUploader.Progress progress = new AudienceUploader.Progress() {
      @Override
      public CompletionStage<Void> jobCreated(int chunk, String jobId) {
        return ask(r -> new UploadProgress(id, chunk, jobId, -1, -1, null, r));
      }

      @Override
      public CompletionStage<Void> chunkImported(int chunk, long imported, long rejected) {
        return ask(r -> new UploadProgress(id, chunk, null, imported, rejected, null, r));
      }

      @Override
      public CompletionStage<Void> attemptFailed(String error) {
        return ask(r -> new UploadProgress(id, -1, null, -1, -1, error, r));
      }

      private CompletionStage<Void> ask(java.util.function.Function<ActorRef<StatusReply<Done>>, Command> message) {
        return AskPattern.askWithStatus(self, message::apply, deps.askTimeout(), ctx.getSystem().scheduler())
            .thenApply(done -> null);
      }
    };
    ctx.pipeToSelf(deps.uploader().upload(id, b.audience().key(), b.chunks(), progress),
        (result, error) -> new UploadEnded(id, result, error == null ? null : describe(error)));
  }

  private static String describe(Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    return cause instanceof AudienceUploader.UploadFailed ? cause.getMessage() : cause.toString();
  }

  private ReplyEffect<Event, State> uploadProgress(State state, UploadProgress p) {
    Booking b = state.get(p.bookingId());
    Instant at = now();
    Event event = p.error() != null ? new AttemptFailed(b.bookingId(), p.error(), at)
        : p.jobId() != null ? new ChunkJobCreated(b.bookingId(), p.chunk(), p.jobId(), at)
        : new ChunkImported(b.bookingId(), p.chunk(), b.chunks().get(p.chunk()).jobId(), p.imported(), p.rejected(),
            at);
    return persist(event).thenRun(s -> {
      if (event instanceof AttemptFailed) deps.metrics().platformCallFailed();
      if (event instanceof ChunkImported) deps.metrics().rows(p.imported(), p.rejected());
    }).thenReply(p.replyTo(), s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> uploadEnded(State state, UploadEnded ended) {
    busy.remove(ended.bookingId());
    Booking b = state.get(ended.bookingId());
    if (b.status() != Status.UPLOADING) return Effect().noReply();
    deps.metrics().uploadEnded(ended.error() == null);
    if (ended.error() != null) return fail(b, "upload: " + ended.error());
    AudienceUploader.Result r = ended.result();
    return persist(new Uploaded(b.bookingId(), r.chunks(), r.imported(), r.rejected(), now())).thenRun(s -> {
      log.info("booking {}: uploaded in {} chunks ({} imported, {} rejected)", b.bookingId(), r.chunks(),
          r.imported(), r.rejected());
      notifyOf(s.get(b.bookingId()));
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> stepFailed(State state, StepFailed failed) {
    busy.remove(failed.bookingId());
    Booking b = state.get(failed.bookingId());
    if (b.status().terminal() || b.status() == Status.UPLOADED) return Effect().noReply();
    String error = failed.step() + ": " + failed.error();
    if (failed.permanent() || b.attempts() + 1 >= deps.policy().maxAttempts()) {
      return failAfter(b, error, b.attempts() + 1);
    }
    Duration backoff = backoff(b.attempts() + 1);
    log.warn("booking {}: {} failed (attempt {}), trying again in {}", b.bookingId(), failed.step(), b.attempts() + 1,
        backoff);
    return persist(new AttemptFailed(b.bookingId(), error, now())).thenRun(s ->
        timers.startSingleTimer("retry-" + b.bookingId(), new Retry(b.bookingId()), backoff)).thenNoReply();
  }

  private ReplyEffect<Event, State> failAfter(Booking b, String error, int attempts) {
    Instant at = now();
    return persist(List.of(new AttemptFailed(b.bookingId(), error, at),
        new BookingFailed(b.bookingId(), error + " (after " + attempts + " attempts)", at)))
        .thenRun(s -> notifyOf(s.get(b.bookingId()))).thenNoReply();
  }

  private ReplyEffect<Event, State> fail(Booking b, String reason) {
    return persist(new BookingFailed(b.bookingId(), reason, now())).thenRun(s -> {
      log.warn("booking {} of segment {} failed: {}", b.bookingId(), segmentId, reason);
      notifyOf(s.get(b.bookingId()));
    }).thenNoReply();
  }

  private Duration backoff(int attempt) {
    return Retrying.backoff(deps.policy().minBackoff(), deps.policy().maxBackoff(), attempt);
  }

  /** The outbox's last effect: the notification of uploaded or failed, until {@link NotificationSent}. */
  private void notifyOf(Booking b) {
    if (!b.notificationDue() || !busy.add(b.bookingId())) return;
    ctx.pipeToSelf(deps.notifier().notify(b), (id, error) ->
        new NotificationDone(b.bookingId(), id, error == null ? null : error.toString()));
  }

  private ReplyEffect<Event, State> notificationDone(State state, NotificationDone done) {
    busy.remove(done.bookingId());
    Booking b = state.get(done.bookingId());
    if (!b.notificationDue()) return Effect().noReply();
    deps.metrics().notification(done.error() == null);
    if (done.error() != null) {
      Duration backoff = backoff(1);
      log.warn("booking {}: notification failed, sending it again in {}: {}", b.bookingId(), backoff, done.error());
      timers.startSingleTimer("retry-" + b.bookingId(), new Retry(b.bookingId()), backoff);
      return Effect().noReply();
    }
    return persist(new NotificationSent(b.bookingId(), done.messageId(), now()))
        .thenRun(s -> log.info("booking {}: {} notified", b.bookingId(), b.status().wire())).thenNoReply();
  }

  // ---- waking: redo intents without outcomes, fail bookings whose send date passed

  private ReplyEffect<Event, State> wake(State state, Wake wake) {
    List<String> due = new ArrayList<>();
    for (Booking b : state.bookings().values()) {
      boolean late = b.sendDate().isBefore(today()) && !b.status().terminal() && b.status() != Status.UPLOADED;
      if (late && !busy.contains(b.bookingId())) due.add(b.bookingId());
      else redo(state, b.bookingId());
    }
    if (due.isEmpty()) return Effect().noReply();
    Instant at = now();
    List<Event> failed = due.stream().<Event>map(id -> new BookingFailed(id, "the send date "
        + state.get(id).sendDate() + " passed before the upload", at)).toList();
    return persist(failed).thenRun(s -> due.forEach(id -> notifyOf(s.get(id)))).thenNoReply();
  }

  private ReplyEffect<Event, State> redo(State state, String bookingId) {
    Booking b = state.get(bookingId);
    switch (b.status()) {
      case GENERATING -> writeAudience(b);
      case UPLOADING -> upload(b);
      case UPLOADED, FAILED -> notifyOf(b);
      case REQUESTED, GENERATED, NOTIFIED, CANCELLED -> { } // waits for the creator, or nothing more to do
    }
    return Effect().noReply();
  }

  // ---- persistence

  /** Persists and then writes the read model of every booking the events touched. */
  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<Event, State> persist(Event event) {
    return persist(List.of(event));
  }

  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<Event, State> persist(List<Event> events) {
    return Effect().persist(events).thenRun(s -> {
      deps.metrics().held(segmentId, s.bookings().values());
      long version = lastSequenceNumber(ctx);
      events.stream().map(Event::bookingId).distinct().forEach(id -> writeRow(s.get(id), version));
    });
  }

  /**
   * The read model row of {@code b}, written until it succeeds: the creator finds requested bookings there, so a lost
   * write would leave a booking unseen. The version check makes a late or repeated write harmless.
   */
  private void writeRow(Booking b, long version) {
    ctx.pipeToSelf(deps.readModel().write(b, version),
        (ok, error) -> new RowWritten(b.bookingId(), error == null ? null : error.toString()));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> event.applyTo(state));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          busy.clear();
          deps.metrics().held(segmentId, state.bookings().values());
          timers.startTimerWithFixedDelay(DEADLINE_TIMER, new Wake(), deps.policy().deadlineCheck());
          if (!state.bookings().isEmpty()) ctx.getSelf().tell(new Wake());
        })
        .onSignal(PostStop.instance(), state -> deps.metrics().released(segmentId))
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, SNAPSHOTS_KEPT);
  }
}
