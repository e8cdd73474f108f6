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

/**
 * One ingestion run, event-sourced and sharded (entity key and persistence id {@code IngestionRun}). It streams the
 * listing page by page (StartAfter = the committed offset after a restart), cuts it into chunks, keeps at most
 * {@code max-chunks-in-flight} of them at the {@link FileWorker} pool (the {@link DispatchWindow}), has each settled
 * chunk counted by the run's {@link CompletionTracker}, and commits its offset: the last key below which every chunk
 * is counted. Journal writes are per chunk, never per file; work redone after a crash is bounded by the window.
 * Pause, resume and cancel are persisted too. Design: docs/architecture.md.
 */
public final class IngestionRun
    extends EventSourcedBehaviorWithEnforcedReplies<IngestionRun.Command, IngestionRun.Event, IngestionRun.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "IngestionRun");
  private static final Logger log = LoggerFactory.getLogger(IngestionRun.class);
  private static final String LIST_RETRY_TIMER = "list-retry";

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
      permits PageListed, ListFailed, ChunkSettled, ChunkFailed, ChunkTimedOut, Redispatch, ChunkCounted,
      ListingCounted {}

  /** Starts the run; a second Start of the same run is answered with {@code created = false}. */
  public record Start(RunSpec spec, ActorRef<StatusReply<Started>> replyTo) implements Request {}

  public record Started(String runId, boolean created) implements CborSerializable {}

  public record Pause(ActorRef<StatusReply<View>> replyTo) implements Request {}

  public record Resume(ActorRef<StatusReply<View>> replyTo) implements Request {}

  public record Cancel(ActorRef<StatusReply<View>> replyTo) implements Request {}

  public record GetStatus(ActorRef<View> replyTo) implements Request {}

  /** Sent to unfinished runs after a restart and periodically: recovery alone resumes them. */
  public record Wake() implements Request {}

  record PageListed(List<FileRef> files, boolean more) implements Feedback {}

  record ListFailed(String error) implements Feedback {}

  /** From a FileWorker: the chunk's files are all stored (members or quarantine). */
  public record ChunkSettled(long chunkIndex, int attempt, int ingested, int quarantined, Instant settledAt)
      implements Feedback {}

  /** From a FileWorker: the chunk could not be settled; it is dispatched again after a backoff. */
  public record ChunkFailed(long chunkIndex, int attempt, String reason) implements Feedback {}

  record ChunkTimedOut(long chunkIndex, int attempt) implements Feedback {}

  record Redispatch(long chunkIndex) implements Feedback {}

  /** From the tracker: the chunk is counted; {@code runCompleted} once the whole run is. */
  public record ChunkCounted(long chunkIndex, boolean runCompleted) implements Feedback {}

  /** From the tracker: the closed listing is recorded; {@code runCompleted} once the whole run is. */
  public record ListingCounted(boolean runCompleted) implements Feedback {}

  /** The run entity's side of a run's status (the tracker has the counts); {@code spec} is null for no run. */
  public record View(String runId, RunSpec spec, RunPhase phase, String offset, long listed,
                     boolean listingFinished, int chunksInFlight, Instant startedAt) implements CborSerializable {}

  // ---- events: each knows how it changes the state

  public sealed interface Event extends CborSerializable
      permits RunStarted, ChunksCommitted, ListingFinished, PhaseChanged {
    State applyTo(State state);
  }

  public record RunStarted(RunSpec spec, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(spec, at, RunPhase.RUNNING, Committed.NONE, ListingEnd.OPEN);
    }
  }

  /** Every chunk below {@code nextChunk} is counted; {@code offset} is the last key of chunk nextChunk-1. */
  public record ChunksCommitted(String offset, long nextChunk, long files) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(new Committed(offset, nextChunk, s.committed().files() + files));
    }
  }

  public record ListingFinished(long totalChunks, long totalFiles) implements Event {
    @Override
    public State applyTo(State s) {
      return s.with(new ListingEnd(true, totalChunks, totalFiles));
    }
  }

  /** Journals written before the reshape call the field {@code control} (and COMPLETED {@code FINISHED}). */
  public record PhaseChanged(@JsonProperty("control") RunPhase phase, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.spec(), s.startedAt(), phase, s.committed(), s.listingEnd());
    }
  }

  // ---- state

  /** What is committed: every chunk below {@code nextChunk}, {@code files} files, up to key {@code offset}. */
  public record Committed(String offset, long nextChunk, long files) implements CborSerializable {
    static final Committed NONE = new Committed("", 0, 0);
  }

  /** Whether the listing reached its end, and then how many chunks and files the run has. */
  public record ListingEnd(boolean finished, long totalChunks, long totalFiles) implements CborSerializable {
    static final ListingEnd OPEN = new ListingEnd(false, -1, -1);
  }

  /** {@code spec} and {@code startedAt} are null while the run is {@link RunPhase#NEW}. */
  public record State(RunSpec spec, Instant startedAt, RunPhase phase, Committed committed, ListingEnd listingEnd)
      implements CborSerializable {
    static final State EMPTY = new State(null, null, RunPhase.NEW, Committed.NONE, ListingEnd.OPEN);

    State with(Committed c) {
      return new State(spec, startedAt, phase, c, listingEnd);
    }

    State with(ListingEnd l) {
      return new State(spec, startedAt, phase, committed, l);
    }

    /** The listing's end as a chunk count, once known. */
    Optional<Long> closedAtChunks() {
      return listingEnd.finished() ? Optional.of(listingEnd.totalChunks()) : Optional.empty();
    }
  }

  /** What the run entity needs from outside; passed in, so the entity tests hand it their own. */
  public record Dependencies(IngestionPeers peers, FileListing listing, RunReadModel runs, IngestionSettings settings,
                             Clock clock) {}

  private final String runId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  private final IngestionSettings settings;
  private final ReadModelWriter readModel;
  // Transient: rebuilt from the committed offset on recovery.
  private DispatchWindow window;
  private long chunksSinceLog;

  public static Behavior<Command> create(String runId, Dependencies deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new IngestionRun(runId, ctx, timers, deps)));
  }

  private IngestionRun(String runId, ActorContext<Command> ctx, TimerScheduler<Command> timers, Dependencies deps) {
    super(PersistenceId.of(TYPE_KEY.name(), runId));
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
        s.committed().offset(), s.committed().nextChunk());
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  // ---- command handlers, by phase

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forState(s -> s.phase() == RunPhase.NEW)
        .onCommand(Start.class, this::start)
        .onCommand(Pause.class, (s, c) -> refuse(s, "paused", c.replyTo()))
        .onCommand(Resume.class, (s, c) -> refuse(s, "resumed", c.replyTo()))
        .onCommand(Cancel.class, (s, c) -> refuse(s, "cancelled", c.replyTo()))
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
        .onCommand(ChunkFailed.class, (s, c) -> retryLater(c.chunkIndex(), c.attempt(), c.reason()))
        .onCommand(ChunkTimedOut.class, (s, c) -> retryLater(c.chunkIndex(), c.attempt(),
            "not settled within " + settings.chunkTimeout()))
        .onCommand(Redispatch.class, this::redispatch)
        .onCommand(ChunkCounted.class, this::chunkCounted)
        .onCommand(ListingCounted.class, (s, c) -> c.runCompleted() ? complete(s) : Effect().noReply());
    // A cancelled run dispatches nothing more, but what was out still settles, is counted and committed; if that
    // makes the run whole, it completes.
    b.forState(s -> s.phase() == RunPhase.CANCELLED)
        .onCommand(Start.class, this::alreadyStarted)
        .onCommand(Pause.class, (s, c) -> refuse(s, "paused", c.replyTo()))
        .onCommand(Resume.class, (s, c) -> refuse(s, "resumed", c.replyTo()))
        .onCommand(Cancel.class, (s, c) -> refuse(s, "cancelled", c.replyTo()))
        .onCommand(GetStatus.class, this::status)
        .onCommand(Wake.class, (s, c) -> Effect().noReply())
        .onCommand(PageListed.class, (s, c) -> {
          window.pageAbandoned(); // the page is not wanted any more
          return Effect().noReply();
        })
        .onCommand(ListFailed.class, (s, c) -> Effect().noReply())
        .onCommand(ChunkSettled.class, this::chunkSettled)
        .onCommand(ChunkFailed.class, (s, c) -> Effect().noReply())
        .onCommand(ChunkTimedOut.class, (s, c) -> Effect().noReply())
        .onCommand(Redispatch.class, (s, c) -> Effect().noReply())
        .onCommand(ChunkCounted.class, this::chunkCounted)
        .onCommand(ListingCounted.class, (s, c) -> c.runCompleted() ? complete(s) : Effect().noReply());
    b.forState(s -> s.phase() == RunPhase.COMPLETED)
        .onCommand(Start.class, this::alreadyStarted)
        .onCommand(Pause.class, (s, c) -> refuse(s, "paused", c.replyTo()))
        .onCommand(Resume.class, (s, c) -> refuse(s, "resumed", c.replyTo()))
        .onCommand(Cancel.class, (s, c) -> refuse(s, "cancelled", c.replyTo()))
        .onCommand(GetStatus.class, this::status)
        .onCommand(Wake.class, (s, c) -> Effect().noReply())
        .onCommand(Feedback.class, (s, c) -> Effect().noReply()); // late answers about settled work
    return b.build();
  }

  // ---- start and phase changes

  private ReplyEffect<Event, State> start(State state, Start start) {
    return Effect().persist(new RunStarted(start.spec(), deps.clock().instant())).thenRun(s -> {
      log.info("run {} started: s3://{}/{} (expected files: {}, from {})", runId, s.spec().bucket(), s.spec().prefix(),
          s.spec().expectedFiles() == RunSpec.UNKNOWN ? "not given" : s.spec().expectedFiles(), s.spec().origin());
      writeReadModel(s, true);
      kickLater();
    }).thenReply(start.replyTo(), s -> StatusReply.success(new Started(runId, true)));
  }

  private ReplyEffect<Event, State> alreadyStarted(State state, Start start) {
    return Effect().reply(start.replyTo(), StatusReply.success(new Started(runId, false)));
  }

  private ReplyEffect<Event, State> refuse(State state, String verb, ActorRef<StatusReply<View>> replyTo) {
    return Effect().reply(replyTo, StatusReply.error("run " + runId + " is " + state.phase().wire()
        + (state.phase() == RunPhase.NEW ? " (never started)" : "") + "; it cannot be " + verb));
  }

  private ReplyEffect<Event, State> changePhase(State state, RunPhase target, ActorRef<StatusReply<View>> replyTo) {
    if (state.phase() == target) return Effect().reply(replyTo, StatusReply.success(view(state)));
    return Effect().persist(new PhaseChanged(target, deps.clock().instant())).thenRun(s -> {
      log.info("run {} is now {}", runId, target.wire());
      if (target == RunPhase.CANCELLED) window.cancel();
      writeReadModel(s, true);
      kickLater();
    }).thenReply(replyTo, s -> StatusReply.success(view(s)));
  }

  private ReplyEffect<Event, State> complete(State state) {
    return Effect().persist(new PhaseChanged(RunPhase.COMPLETED, deps.clock().instant()))
        .thenRun(s -> writeReadModel(s, true)).thenNoReply();
  }

  private ReplyEffect<Event, State> status(State state, GetStatus get) {
    return Effect().reply(get.replyTo(), view(state));
  }

  // ---- listing

  private void requestPage(State state) {
    window.pageRequested();
    ctx.pipeToSelf(deps.listing().page(state.spec(), window.cursor(), settings.listPageSize()),
        (page, error) -> error != null ? new ListFailed(String.valueOf(error)) : new PageListed(page.files(), page.more()));
  }

  private ReplyEffect<Event, State> pageListed(State state, PageListed page) {
    window.pageListed(page.files(), page.more());
    return kick(state);
  }

  private ReplyEffect<Event, State> listFailed(State state, ListFailed failure) {
    window.pageAbandoned();
    log.error("run {}: listing after '{}' failed, retrying in {}: {}", runId, window.cursor(),
        settings.retry().maxBackoff(), failure.error());
    timers.startSingleTimer(LIST_RETRY_TIMER, new Wake(), settings.retry().maxBackoff());
    return Effect().noReply();
  }

  // ---- dispatch

  /** Dispatches what the window allows, lists ahead when needed, closes the listing at its end. */
  private ReplyEffect<Event, State> kick(State state) {
    if (state.phase() != RunPhase.RUNNING) return Effect().noReply();
    for (DispatchWindow.Chunk chunk : window.assign(state.closedAtChunks())) dispatch(state, chunk);
    if (window.wantsPage()) requestPage(state);
    if (window.everythingAssigned() && !state.listingEnd().finished()) {
      long totalChunks = window.assignedChunks();
      long totalFiles = state.committed().files() + window.uncommittedFiles();
      return Effect().persist(new ListingFinished(totalChunks, totalFiles)).thenRun(s -> {
        log.info("run {}: listing finished, {} files in {} chunks", runId, totalFiles, totalChunks);
        writeReadModel(s, true);
        closeListing(s);
      }).thenNoReply();
    }
    return Effect().noReply();
  }

  /** Dispatching may need a persist (ListingFinished), which a thenRun callback cannot do: go through the mailbox. */
  private void kickLater() {
    ctx.getSelf().tell(new Wake());
  }

  private void closeListing(State s) {
    deps.peers().tracker().apply(runId).tell(new CompletionTracker.CloseListing(s.spec(), s.startedAt(),
        s.listingEnd().totalChunks(), s.listingEnd().totalFiles()));
  }

  private void dispatch(State state, DispatchWindow.Chunk chunk) {
    String worker = String.valueOf(Math.floorMod(chunk.index(), settings.workers()));
    deps.peers().worker().apply(worker).tell(new FileWorker.ProcessChunk(
        runId, state.spec().bucket(), chunk.index(), chunk.attempt(), chunk.files()));
    timers.startSingleTimer(timerKey(chunk.index()), new ChunkTimedOut(chunk.index(), chunk.attempt()),
        settings.chunkTimeout());
  }

  private static String timerKey(long chunk) {
    return "chunk-" + chunk;
  }

  private ReplyEffect<Event, State> retryLater(long index, int attempt, String reason) {
    window.current(index, attempt).ifPresent(chunk -> { // otherwise stale: settled or already retried
      Duration backoff = settings.retry().backoff(attempt);
      log.warn("run {}: chunk {} ({} files from '{}') attempt {} failed, dispatching again in {}: {}", runId, index,
          chunk.files().size(), chunk.files().get(0).key(), attempt, backoff, reason);
      timers.startSingleTimer(timerKey(index), new Redispatch(index), backoff);
    });
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> redispatch(State state, Redispatch r) {
    window.retry(r.chunkIndex()).ifPresent(chunk -> dispatch(state, chunk));
    return Effect().noReply();
  }

  // ---- settling and committing

  private ReplyEffect<Event, State> chunkSettled(State state, ChunkSettled settled) {
    Optional<DispatchWindow.Chunk> chunk = window.settled(settled.chunkIndex());
    if (chunk.isEmpty()) return Effect().noReply(); // a late answer from an earlier attempt
    timers.cancel(timerKey(settled.chunkIndex()));
    deps.peers().tracker().apply(runId).tell(new CompletionTracker.RecordChunk(settled.chunkIndex(),
        chunk.get().files().size(), settled.ingested(), settled.quarantined(), settled.settledAt()));
    return kick(state);
  }

  private ReplyEffect<Event, State> chunkCounted(State state, ChunkCounted counted) {
    Optional<DispatchWindow.Commit> commit = window.counted(counted.chunkIndex());
    if (commit.isEmpty()) return counted.runCompleted() ? complete(state) : kick(state);
    DispatchWindow.Commit c = commit.get();
    List<Event> events = new ArrayList<>(2);
    events.add(new ChunksCommitted(c.offset(), c.nextChunk(), c.files()));
    if (counted.runCompleted()) events.add(new PhaseChanged(RunPhase.COMPLETED, deps.clock().instant()));
    return Effect().persist(events).thenRun(s -> {
      window.committed(c);
      chunksSinceLog += c.chunks();
      if (chunksSinceLog >= settings.logEveryChunks() || s.phase() == RunPhase.COMPLETED) {
        chunksSinceLog = 0;
        log.info("run {}: {} files committed up to '{}' ({} chunks in flight)", runId, s.committed().files(),
            s.committed().offset(), window.inFlight());
      }
      writeReadModel(s, s.phase() == RunPhase.COMPLETED);
      kickLater();
    }).thenNoReply();
  }

  // ---- views and read model

  private View view(State s) {
    return new View(runId, s.spec(), s.phase(), s.committed().offset(),
        s.committed().files() + window.uncommittedListedFiles(), s.listingEnd().finished(), window.inFlight(),
        s.startedAt());
  }

  private void writeReadModel(State s, boolean force) {
    if (s.spec() == null) return;
    long version = lastSequenceNumber(ctx);
    long listed = view(s).listed();
    readModel.write(force, () -> deps.runs().write(new RunStore.RunPart(runId, s.spec().bucket(), s.spec().prefix(),
        s.spec().expectedFiles(), s.phase(), s.committed().offset(), listed, s.listingEnd().finished(),
        s.startedAt()), version));
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
          if (state.spec() == null) return;
          if (state.phase().active() && state.committed().nextChunk() > 0) {
            log.info("run {} recovered {}: resuming after '{}' (chunk {}, {} files committed)", runId,
                state.phase().wire(), state.committed().offset(), state.committed().nextChunk(),
                state.committed().files());
          }
          if (state.listingEnd().finished() && state.phase() == RunPhase.RUNNING) closeListing(state);
          writeReadModel(state, true);
          kickLater();
        })
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }
}
