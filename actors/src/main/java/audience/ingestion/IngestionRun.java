package audience.ingestion;

import audience.CborSerializable;
import audience.config.Settings.IngestionSettings;
import audience.store.RunPhase;
import audience.store.RunReadModel;
import audience.store.RunStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
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
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilderByState;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One ingestion run, event-sourced and sharded (entity key and persistence id {@code IngestionRun}). It streams the
 * listing page by page (StartAfter = the committed offset after a restart), cuts it into chunks, keeps at most
 * {@code max-chunks-in-flight} of them at the {@link FileWorker} pool (the {@link DispatchWindow}), and commits its
 * watermark: the last key below which every chunk is settled, with what those chunks add up to. Journal writes are
 * per chunk, never per file; work redone after a crash is bounded by the window. The run is whole when its listing
 * is finished and every listed file is below the watermark: only then is its {@link CompletionTracker} told to
 * complete it, with the committed totals, so neither a lost message nor a chunk number re-used after a restart can
 * complete a run early or miscount it. Pause, resume and cancel are persisted too. Design: docs/architecture.md.
 */
public final class IngestionRun
    extends EventSourcedBehaviorWithEnforcedReplies<IngestionRun.Command, IngestionRun.Event, IngestionRun.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "IngestionRun");
  private static final Logger log = LoggerFactory.getLogger(IngestionRun.class);
  private static final String LIST_RETRY_TIMER = "list-retry";
  private static final String RESEND_TIMER = "resend";
  private static final double PERSIST_RESTART_JITTER = 0.2;

  /** Registers the entity with sharding on this node. */
  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY, e -> create(e.getEntityId(), deps)));
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable permits Request, Feedback {}

  /** What operators, the trigger and the node ask of a run. */
  public sealed interface Request extends Command permits Start, Pause, Resume, Cancel, GetStatus, Wake {}

  /** What the run's listing, its workers, its timers and its tracker report back. */
  public sealed interface Feedback extends Command
      permits PageListed, ListFailed, ChunkSettled, ChunkFailed, ChunkTimedOut, Redispatch, DoneRecorded, Resend,
      StallNotified {}

  /** Starts the run; a second Start of the same run is answered with {@code created = false}. */
  public record Start(RunSpec spec, ActorRef<StatusReply<Started>> replyTo) implements Request {}

  public record Started(String runId, boolean created) implements CborSerializable {}

  public record Pause(ActorRef<StatusReply<View>> replyTo) implements Request {}

  public record Resume(ActorRef<StatusReply<View>> replyTo) implements Request {}

  public record Cancel(ActorRef<StatusReply<View>> replyTo) implements Request {}

  public record GetStatus(ActorRef<View> replyTo) implements Request {}

  /** Sent to unfinished runs after a restart and periodically: recovery alone resumes them. */
  public record Wake() implements Request {}

  /**
   * A page of the listing after key {@code after}: an answer to a request of an earlier instance (before a restart)
   * lists from elsewhere and is ignored.
   */
  record PageListed(String after, List<FileRef> files, boolean more) implements Feedback {}

  record ListFailed(String after, String error) implements Feedback {}

  /**
   * From a FileWorker: the chunk's files are all stored (members or quarantine). {@code incarnation} is the run
   * entity instance that dispatched it: an answer to an earlier instance (before a crash or restart, when chunk
   * numbers may have held other files) is stale and never settles a chunk of this one.
   */
  public record ChunkSettled(long chunkIndex, long incarnation, int attempt, int ingested, int quarantined,
                             Instant settledAt, long newestLastActive) implements Feedback {
    public ChunkSettled(long chunkIndex, long incarnation, int attempt, int ingested, int quarantined,
                        Instant settledAt) {
      this(chunkIndex, incarnation, attempt, ingested, quarantined, settledAt, ChunkProcessor.Outcome.NO_MEMBER);
    }
  }

  /** From a FileWorker: the chunk could not be settled; it is dispatched again after a backoff. */
  public record ChunkFailed(long chunkIndex, long incarnation, int attempt, String reason) implements Feedback {}

  record ChunkTimedOut(long chunkIndex, int attempt) implements Feedback {}

  record Redispatch(long chunkIndex) implements Feedback {}

  /** From the tracker: the run's completion is recorded (the answer to {@link CompletionTracker.Finish}). */
  public record DoneRecorded() implements Feedback {}

  /** Timer: send the tracker the progress again, and the finish until it is acknowledged. */
  record Resend() implements Feedback {}

  /** The stall notification was published ({@code messageId}), or not ({@code error}). */
  record StallNotified(String messageId, String error) implements Feedback {}

  /** The run entity's side of a run's status (the tracker has the counts); {@code spec} is null for no run. */
  public record View(String runId, RunSpec spec, RunPhase phase, String offset, long listed,
                     boolean listingFinished, int chunksInFlight, Instant startedAt, String stallReason)
      implements CborSerializable {}

  // ---- events: each knows how it changes the state

  public sealed interface Event extends CborSerializable
      permits RunStarted, ChunksCommitted, ListingFinished, PhaseChanged, RunStalled, StallReported {
    State applyTo(State state);
  }

  public record RunStarted(RunSpec spec, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(spec, at, RunPhase.RUNNING, Committed.NONE, ListingEnd.OPEN, Stall.NONE);
    }
  }

  /**
   * Every chunk below {@code nextChunk} is settled; {@code offset} is the last key of chunk nextChunk-1. The other
   * fields are what the newly committed chunks add (journals from before they existed replay them as 0);
   * {@code newestLastActive}: the newest lastActive of their valid files (epoch ms; 0 when unknown).
   */
  public record ChunksCommitted(String offset, long nextChunk, long files, long ingested, long quarantined,
                                Instant lastSettledAt, long newestLastActive) implements Event {
    public ChunksCommitted(String offset, long nextChunk, long files, long ingested, long quarantined,
                           Instant lastSettledAt) {
      this(offset, nextChunk, files, ingested, quarantined, lastSettledAt, 0);
    }

    @Override
    public State applyTo(State s) {
      return s.with(s.committed().plus(this));
    }
  }

  /** The listing reached its end at {@code lastKey} (null in journals from before it was recorded). */
  public record ListingFinished(long totalChunks, long totalFiles, String lastKey) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(new ListingEnd(true, totalChunks, totalFiles, lastKey));
    }
  }

  /** Journals written before the reshape call the field {@code control} (and COMPLETED {@code FINISHED}). */
  public record PhaseChanged(@JsonProperty("control") RunPhase phase, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.spec(), s.startedAt(), phase, s.committed(), s.listingEnd(),
          phase == RunPhase.STALLED ? s.stall() : Stall.NONE);
    }
  }

  /** Nothing settles for a cause that is nobody's file: the run shows {@code stalled} with the reason. */
  public record RunStalled(String reason, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.spec(), s.startedAt(), RunPhase.STALLED, s.committed(), s.listingEnd(),
          new Stall(reason, at, false));
    }
  }

  /** The outcome of the stall's notification (its intent is {@link RunStalled}). */
  public record StallReported(String messageId, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(new Stall(s.stall().reason(), s.stall().at(), true));
    }
  }

  // ---- state

  /**
   * What is committed (the watermark): every chunk below {@code nextChunk}, {@code files} files up to key
   * {@code offset}, of which {@code ingested} stored and {@code quarantined} quarantined.
   */
  public record Committed(String offset, long nextChunk, long files, long ingested, long quarantined,
                          Instant lastSettledAt, long newestLastActive) implements CborSerializable {
    static final Committed NONE = new Committed("", 0, 0, 0, 0, null, 0);

    Committed plus(ChunksCommitted c) {
      Instant last = lastSettledAt == null || (c.lastSettledAt() != null && c.lastSettledAt().isAfter(lastSettledAt))
          ? c.lastSettledAt() : lastSettledAt;
      return new Committed(c.offset(), c.nextChunk(), files + c.files(), ingested + c.ingested(),
          quarantined + c.quarantined(), last, Math.max(newestLastActive, c.newestLastActive()));
    }

    CompletionTracker.Counts counts() {
      return new CompletionTracker.Counts(nextChunk, files, ingested, quarantined, lastSettledAt, newestLastActive);
    }
  }

  /**
   * Whether the listing reached its end, and then how many chunks and files it had and its last key: after a restart
   * the listing is read again only up to that key (what appeared after it belongs to another run).
   */
  public record ListingEnd(boolean finished, long totalChunks, long totalFiles, String lastKey)
      implements CborSerializable {
    static final ListingEnd OPEN = new ListingEnd(false, -1, -1, null);
  }

  /** Why the run is stalled, since when, and whether that was notified; {@link #NONE} unless stalled. */
  public record Stall(String reason, Instant at, boolean reported) implements CborSerializable {
    static final Stall NONE = new Stall("", null, false);
  }

  /** {@code spec} and {@code startedAt} are null while the run is {@link RunPhase#NEW}. */
  public record State(RunSpec spec, Instant startedAt, RunPhase phase, Committed committed, ListingEnd listingEnd,
                      Stall stall) implements CborSerializable {
    static final State EMPTY = new State(null, null, RunPhase.NEW, Committed.NONE, ListingEnd.OPEN, Stall.NONE);

    public State {
      if (stall == null) stall = Stall.NONE; // snapshots from before stalls existed
    }

    State with(Committed c) {
      return new State(spec, startedAt, phase, c, listingEnd, stall);
    }

    State with(ListingEnd l) {
      return new State(spec, startedAt, phase, committed, l, stall);
    }

    State with(Stall st) {
      return new State(spec, startedAt, phase, committed, listingEnd, st);
    }
  }

  /** What the run entity needs from outside; passed in, so the entity tests hand it their own. */
  public record Dependencies(IngestionPeers peers, FileListing listing, RunReadModel runs, StallNotifier notifier,
                             IngestionSettings settings, Clock clock, IngestionMetrics metrics) {}

  private final String runId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  private final IngestionSettings settings;
  private final ReadModelWriter readModel;
  // Transient: rebuilt from the committed offset on recovery.
  private DispatchWindow window;
  /**
   * This entity instance, drawn anew at every recovery (a restart after a failed persist keeps this object): chunk
   * answers meant for an earlier one are stale (see {@link ChunkSettled}).
   */
  private long incarnation = ThreadLocalRandom.current().nextLong();
  private boolean doneAcknowledged;
  private long chunksSinceLog;

  public static Behavior<Command> create(String runId, Dependencies deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new IngestionRun(runId, ctx, timers, deps)));
  }

  private IngestionRun(String runId, ActorContext<Command> ctx, TimerScheduler<Command> timers, Dependencies deps) {
    // A failed persist stops the entity; it starts again after a backoff and recovers from its journal.
    super(PersistenceId.of(TYPE_KEY.name(), runId), SupervisorStrategy.restartWithBackoff(
        deps.settings().retry().minBackoff(), deps.settings().retry().maxBackoff(), PERSIST_RESTART_JITTER));
    this.runId = runId;
    this.ctx = ctx;
    this.timers = timers;
    this.deps = deps;
    this.settings = deps.settings();
    this.readModel = new ReadModelWriter(runId, "run", deps.clock(), settings.readModelInterval());
    this.window = newWindow(State.EMPTY);
  }

  private DispatchWindow newWindow(State s) {
    return new DispatchWindow(settings.chunkSize(), settings.maxChunksInFlight(), settings.listPageSize(),
        s.committed().offset(), s.committed().nextChunk(), s.listingEnd().lastKey());
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  // ---- command handlers, by phase

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    refusingControl(b.forState(s -> s.phase() == RunPhase.NEW))
        .onCommand(Start.class, this::start)
        .onCommand(GetStatus.class, this::status)
        .onCommand(Wake.class, (s, c) -> Effect().noReply())
        .onCommand(Feedback.class, (s, c) -> Effect().noReply()); // nothing is out for a run never started
    b.forState(s -> s.phase().active())
        .onCommand(Start.class, this::alreadyStarted)
        .onCommand(Pause.class, (s, c) -> changePhase(s, RunPhase.PAUSED, c.replyTo()))
        .onCommand(Resume.class, (s, c) -> changePhase(s, RunPhase.RUNNING, c.replyTo()))
        .onCommand(Cancel.class, (s, c) -> changePhase(s, RunPhase.CANCELLED, c.replyTo()))
        .onCommand(GetStatus.class, this::status)
        .onCommand(Wake.class, (s, c) -> kick(s))
        .onCommand(PageListed.class, this::pageListed)
        .onCommand(ListFailed.class, this::listFailed)
        .onCommand(ChunkSettled.class, this::chunkSettled)
        .onCommand(ChunkFailed.class, (s, c) -> c.incarnation() != incarnation ? Effect().noReply()
            : retryLater(s, c.chunkIndex(), c.attempt(), c.reason()))
        .onCommand(ChunkTimedOut.class, (s, c) -> retryLater(s, c.chunkIndex(), c.attempt(),
            "not settled within " + settings.chunkTimeout()))
        .onCommand(Redispatch.class, this::redispatch)
        .onCommand(DoneRecorded.class, this::doneRecorded)
        .onCommand(Resend.class, this::resend)
        .onCommand(StallNotified.class, this::stallNotified);
    // A cancelled run dispatches nothing more, but what was out still settles and is committed; if that makes the
    // run whole (its listing was finished before the cancel), it completes.
    refusingControl(b.forState(s -> s.phase() == RunPhase.CANCELLED))
        .onCommand(Start.class, this::alreadyStarted)
        .onCommand(GetStatus.class, this::status)
        .onCommand(Wake.class, (s, c) -> kick(s))
        .onCommand(PageListed.class, (s, c) -> {
          if (window.awaitsPageAfter(c.after())) window.pageAbandoned(); // the page is not wanted any more
          return Effect().noReply();
        })
        .onCommand(ListFailed.class, (s, c) -> Effect().noReply())
        .onCommand(ChunkSettled.class, this::chunkSettled)
        .onCommand(ChunkFailed.class, (s, c) -> Effect().noReply())
        .onCommand(ChunkTimedOut.class, (s, c) -> Effect().noReply())
        .onCommand(Redispatch.class, (s, c) -> Effect().noReply())
        .onCommand(DoneRecorded.class, this::doneRecorded)
        .onCommand(Resend.class, this::resend)
        .onCommand(StallNotified.class, (s, c) -> Effect().noReply()); // a stall that no longer matters
    refusingControl(b.forState(s -> s.phase() == RunPhase.COMPLETED))
        .onCommand(Start.class, this::alreadyStarted)
        .onCommand(GetStatus.class, this::status)
        .onCommand(Wake.class, (s, c) -> Effect().noReply())
        .onCommand(Feedback.class, (s, c) -> Effect().noReply()); // late answers about settled work
    return b.build();
  }

  /** A run that is not active (never started, cancelled, completed) refuses pause, resume and cancel. */
  private CommandHandlerWithReplyBuilderByState<Command, Event, State, State> refusingControl(
      CommandHandlerWithReplyBuilderByState<Command, Event, State, State> b) {
    return b.onCommand(Pause.class, (s, c) -> refuse(s, "paused", c.replyTo()))
        .onCommand(Resume.class, (s, c) -> refuse(s, "resumed", c.replyTo()))
        .onCommand(Cancel.class, (s, c) -> refuse(s, "cancelled", c.replyTo()));
  }

  // ---- start and phase changes

  /**
   * The start is acknowledged once the run's row is in the read model: the periodic wake finds unfinished runs
   * there, so a run whose row was never written could not be found again after a crash. If the row cannot be
   * written, the caller is told to ask again (a repeated start writes it).
   */
  private ReplyEffect<Event, State> start(State state, Start start) {
    return Effect().persist(new RunStarted(start.spec(), deps.clock().instant())).thenRun(s -> {
      log.info("run {} started: s3://{}/{} (expected files: {}, from {})", runId, s.spec().bucket(), s.spec().prefix(),
          s.spec().expectedFiles() == RunSpec.UNKNOWN ? "not given" : s.spec().expectedFiles(), s.spec().origin());
      answerOnceListed(s, start.replyTo(), true);
      timers.startTimerWithFixedDelay(RESEND_TIMER, new Resend(), settings.resendInterval());
      kickLater();
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> alreadyStarted(State state, Start start) {
    answerOnceListed(state, start.replyTo(), false);
    return Effect().noReply();
  }

  private void answerOnceListed(State s, ActorRef<StatusReply<Started>> replyTo, boolean created) {
    writeReadModel(s, true).whenComplete((ok, error) -> replyTo.tell(error == null
        ? StatusReply.success(new Started(runId, created))
        : StatusReply.error("run " + runId + " is started but not yet listed in the runs table (" + error
            + "); ask again")));
  }

  private ReplyEffect<Event, State> refuse(State state, String verb, ActorRef<StatusReply<View>> replyTo) {
    return Effect().reply(replyTo, StatusReply.error("run " + runId + " is " + state.phase().wire()
        + (state.phase() == RunPhase.NEW ? " (never started)" : "") + "; it cannot be " + verb));
  }

  private ReplyEffect<Event, State> changePhase(State state, RunPhase target, ActorRef<StatusReply<View>> replyTo) {
    if (state.phase() == target) return Effect().reply(replyTo, StatusReply.success(view(state)));
    boolean fromStall = state.phase() == RunPhase.STALLED;
    return Effect().persist(new PhaseChanged(target, deps.clock().instant())).thenRun(s -> {
      log.info("run {} is now {}", runId, target.wire());
      if (target == RunPhase.CANCELLED) window.cancel();
      if (fromStall && target == RunPhase.RUNNING) redispatchNow(s);
      writeReadModel(s, true);
      kickLater();
    }).thenReply(replyTo, s -> StatusReply.success(view(s)));
  }

  private ReplyEffect<Event, State> complete(State state) {
    return Effect().persist(new PhaseChanged(RunPhase.COMPLETED, deps.clock().instant())).thenRun(s -> {
      timers.cancel(RESEND_TIMER);
      writeReadModel(s, true);
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> doneRecorded(State state, DoneRecorded recorded) {
    doneAcknowledged = true;
    return state.phase() == RunPhase.COMPLETED ? Effect().noReply() : complete(state);
  }

  /**
   * The tracker hears the progress again (a tracker that restarted has none until then), the finish is sent again
   * until the tracker acknowledges it (its node may have died, or its persist failed), and a stall not yet
   * notified is notified again.
   */
  private ReplyEffect<Event, State> resend(State state, Resend r) {
    advanceTracker(state);
    finishIfWhole(state);
    if (state.phase() == RunPhase.STALLED && !state.stall().reported()) notifyStall(state);
    return Effect().noReply();
  }

  // ---- stalls

  /** Every chunk at a worker goes out again now, its backoff forgotten: an operator said the cause is gone. */
  private void redispatchNow(State state) {
    for (long index : window.inFlightIndexes()) window.retry(index).ifPresent(chunk -> dispatch(state, chunk));
  }

  private ReplyEffect<Event, State> stall(String reason) {
    return Effect().persist(new RunStalled(reason, deps.clock().instant())).thenRun(s -> {
      log.error("run {} is stalled: {}", runId, reason);
      writeReadModel(s, true);
      notifyStall(s);
    }).thenNoReply();
  }

  /** The outbox's effect: the intent is RunStalled, the outcome StallReported; resent until it is persisted. */
  private void notifyStall(State s) {
    ctx.pipeToSelf(deps.notifier().notify(new StallNotifier.IngestionStalled(runId, s.spec().bucket(),
            s.spec().prefix(), s.stall().reason(), s.stall().at())),
        (id, error) -> new StallNotified(id, error == null ? null : String.valueOf(error)));
  }

  private ReplyEffect<Event, State> stallNotified(State state, StallNotified n) {
    if (n.error() != null) {
      log.warn("run {}: stall notification failed, sending it again in {}: {}", runId, settings.resendInterval(),
          n.error());
      return Effect().noReply();
    }
    if (state.phase() != RunPhase.STALLED || state.stall().reported()) return Effect().noReply();
    return Effect().persist(new StallReported(n.messageId(), deps.clock().instant())).thenNoReply();
  }

  private ReplyEffect<Event, State> status(State state, GetStatus get) {
    return Effect().reply(get.replyTo(), view(state));
  }

  // ---- listing

  private void requestPage(State state) {
    window.pageRequested();
    String after = window.cursor();
    ctx.pipeToSelf(deps.listing().page(state.spec(), after, settings.listPageSize()),
        (page, error) -> error != null ? new ListFailed(after, String.valueOf(error))
            : new PageListed(after, page.files(), page.more()));
  }

  private ReplyEffect<Event, State> pageListed(State state, PageListed page) {
    if (!window.awaitsPageAfter(page.after())) return Effect().noReply(); // asked for before a restart
    window.pageListed(page.files(), page.more());
    deps.metrics().listed(page.files().size());
    return kick(state);
  }

  private ReplyEffect<Event, State> listFailed(State state, ListFailed failure) {
    if (!window.awaitsPageAfter(failure.after())) return Effect().noReply();
    window.pageAbandoned();
    log.error("run {}: listing after '{}' failed, retrying in {}: {}", runId, window.cursor(),
        settings.retry().maxBackoff(), failure.error());
    timers.startSingleTimer(LIST_RETRY_TIMER, new Wake(), settings.retry().maxBackoff());
    return Effect().noReply();
  }

  // ---- dispatch

  /** Dispatches what the window allows, lists ahead when needed, records the listing's end, finishes a whole run. */
  private ReplyEffect<Event, State> kick(State state) {
    if (!state.phase().dispatching()) {
      finishIfWhole(state); // a paused or cancelled run whose last chunks settled
      return Effect().noReply();
    }
    for (DispatchWindow.Chunk chunk : window.assign()) dispatch(state, chunk);
    if (window.wantsPage()) requestPage(state);
    if (window.everythingAssigned() && !state.listingEnd().finished()) {
      long totalChunks = window.assignedChunks();
      long totalFiles = state.committed().files() + window.uncommittedFiles();
      String lastKey = window.listedUpTo();
      return Effect().persist(new ListingFinished(totalChunks, totalFiles, lastKey)).thenRun(s -> {
        log.info("run {}: listing finished, {} files in {} chunks", runId, totalFiles, totalChunks);
        writeReadModel(s, true);
        finishIfWhole(s);
      }).thenNoReply();
    }
    finishIfWhole(state);
    return Effect().noReply();
  }

  /** Dispatching may need a persist (ListingFinished), which a thenRun callback cannot do: go through the mailbox. */
  private void kickLater() {
    ctx.getSelf().tell(new Wake());
  }

  /**
   * When the listing is finished and every listed file is committed, the tracker is told to complete the run with
   * the committed totals (sent again on every resend until it answers {@link DoneRecorded}).
   */
  private void finishIfWhole(State s) {
    if (doneAcknowledged || !s.listingEnd().finished() || !window.allCommitted() || s.phase() == RunPhase.COMPLETED) {
      return;
    }
    deps.peers().tracker().apply(runId).tell(new CompletionTracker.Finish(s.spec(), s.startedAt(),
        s.committed().counts()));
  }

  /** The tracker's progress figures (not persisted there: this is sent after each commit and on every resend). */
  private void advanceTracker(State s) {
    if (s.spec() == null || s.phase() == RunPhase.COMPLETED) return;
    deps.peers().tracker().apply(runId).tell(new CompletionTracker.Advance(s.committed().counts()));
  }

  private void dispatch(State state, DispatchWindow.Chunk chunk) {
    String worker = String.valueOf(Math.floorMod(chunk.index(), settings.workers()));
    deps.peers().worker().apply(worker).tell(new FileWorker.ProcessChunk(
        runId, state.spec().bucket(), chunk.index(), incarnation, chunk.attempt(), chunk.files()));
    timers.startSingleTimer(timerKey(chunk.index()), new ChunkTimedOut(chunk.index(), chunk.attempt()),
        settings.chunkTimeout());
  }

  private static String timerKey(long chunk) {
    return "chunk-" + chunk;
  }

  private ReplyEffect<Event, State> retryLater(State state, long index, int attempt, String reason) {
    Optional<DispatchWindow.Chunk> current = window.current(index, attempt);
    if (current.isEmpty()) return Effect().noReply(); // stale: settled or already retried
    DispatchWindow.Chunk chunk = current.get();
    Duration backoff = settings.retry().backoff(attempt);
    log.warn("run {}: chunk {} ({} files from '{}') attempt {} failed, dispatching again in {}: {}", runId, index,
        chunk.files().size(), chunk.files().get(0).key(), attempt, backoff, reason);
    timers.startSingleTimer(timerKey(index), new Redispatch(index), backoff);
    if (attempt >= settings.stallAfterAttempts() && state.phase() == RunPhase.RUNNING) {
      return stall("chunk " + index + " (from '" + chunk.files().get(0).key() + "') failed " + attempt
          + " attempts in a row: " + reason);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> redispatch(State state, Redispatch r) {
    window.retry(r.chunkIndex()).ifPresent(chunk -> dispatch(state, chunk));
    return Effect().noReply();
  }

  // ---- settling and committing

  private ReplyEffect<Event, State> chunkSettled(State state, ChunkSettled settled) {
    if (settled.incarnation() != incarnation) return Effect().noReply(); // for an earlier instance of this run
    if (window.current(settled.chunkIndex(), settled.attempt()).isEmpty()) {
      return Effect().noReply(); // a late answer from an earlier attempt, or about a chunk already settled
    }
    timers.cancel(timerKey(settled.chunkIndex()));
    Optional<DispatchWindow.Commit> commit = window.settled(settled.chunkIndex(), settled.ingested(),
        settled.quarantined(), settled.settledAt(), Math.max(0, settled.newestLastActive()));
    List<Event> events = new ArrayList<>(2);
    boolean unstalled = state.phase() == RunPhase.STALLED;
    if (unstalled) events.add(new PhaseChanged(RunPhase.RUNNING, deps.clock().instant()));
    commit.ifPresent(c -> events.add(new ChunksCommitted(c.offset(), c.nextChunk(), c.files(), c.ingested(),
        c.quarantined(), c.lastSettledAt(), c.newestLastActive())));
    if (events.isEmpty()) return kick(state);
    return Effect().persist(events).thenRun(s -> {
      if (unstalled) {
        log.info("run {} is running again: chunk {} settled", runId, settled.chunkIndex());
        redispatchNow(s);
      }
      commit.ifPresent(c -> {
        window.committed(c);
        deps.metrics().committed(c.ingested(), c.quarantined());
        chunksSinceLog += c.chunks();
        if (chunksSinceLog >= settings.logEveryChunks()) {
          chunksSinceLog = 0;
          log.info("run {}: {} files committed up to '{}' ({} chunks in flight)", runId, s.committed().files(),
              s.committed().offset(), window.inFlight());
        }
        advanceTracker(s);
      });
      writeReadModel(s, unstalled);
      kickLater();
    }).thenNoReply();
  }

  // ---- views and read model

  private View view(State s) {
    // listed: what the listing gave so far; once it is over, its total (after a restart, before it is read again)
    long listed = s.phase() == RunPhase.COMPLETED ? s.committed().files()
        : s.listingEnd().finished() ? Math.max(s.listingEnd().totalFiles(), s.committed().files())
        : s.committed().files() + window.uncommittedListedFiles();
    return new View(runId, s.spec(), s.phase(), s.committed().offset(), listed, s.listingEnd().finished(),
        window.inFlight(), s.startedAt(), s.stall().reason());
  }

  private CompletionStage<Void> writeReadModel(State s, boolean force) {
    if (s.spec() == null) return CompletableFuture.completedFuture(null);
    deps.metrics().phase(runId, s.phase()); // every change of phase is followed by a write of the read model
    long version = lastSequenceNumber(ctx);
    long listed = view(s).listed();
    return readModel.write(force, () -> deps.runs().write(new RunStore.RunPart(runId, s.spec().bucket(), s.spec().prefix(),
        s.spec().expectedFiles(), s.phase(), s.committed().offset(), listed, s.listingEnd().finished(),
        s.startedAt(), s.stall().reason()), version));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> event.applyTo(state));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          window = newWindow(state);
          incarnation = ThreadLocalRandom.current().nextLong();
          doneAcknowledged = false;
          if (state.spec() == null) return;
          if (state.phase() != RunPhase.COMPLETED) {
            timers.startTimerWithFixedDelay(RESEND_TIMER, new Resend(), settings.resendInterval());
          }
          if (state.phase().active() && state.committed().nextChunk() > 0) {
            log.info("run {} recovered {}: resuming after '{}' (chunk {}, {} files committed)", runId,
                state.phase().wire(), state.committed().offset(), state.committed().nextChunk(),
                state.committed().files());
          }
          advanceTracker(state);
          if (state.phase() == RunPhase.STALLED && !state.stall().reported()) notifyStall(state);
          writeReadModel(state, true);
          kickLater();
        })
        .onSignal(PostStop.instance(), state -> deps.metrics().stopped(runId))
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }
}
