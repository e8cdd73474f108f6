package audience.ingestion;

import audience.CborSerializable;
import audience.config.Settings.IngestionSettings;
import audience.store.Retrying;
import audience.store.RunStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * One ingestion run, event-sourced. It streams the S3 listing page by page (StartAfter = the persisted
 * offset after a restart), cuts it into chunks, keeps at most {@code max-chunks-in-flight} chunks at the
 * FileWorker pool, has each settled chunk recorded by the run's {@link CompletionTracker}, and persists its
 * offset: the last key below which every chunk is settled. Journal writes are per chunk, never per file;
 * work redone after a crash is bounded by the in-flight window. Pause, resume and cancel are persisted too.
 */
public final class IngestionSupervisor
    extends EventSourcedBehavior<IngestionSupervisor.Command, IngestionSupervisor.Event, IngestionSupervisor.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "IngestionRun");
  private static final Logger log = LoggerFactory.getLogger(IngestionSupervisor.class);

  // ---- protocol
  public sealed interface Command extends CborSerializable
      permits Start, Pause, Resume, Cancel, GetStatus, Wake, PageListed, ListFailed, ChunkSettled, ChunkFailed,
      ChunkTimedOut, Redispatch, ChunkRecorded, ListingRecorded {}

  /** Starts the run; a second Start of the same run is answered with {@code created = false}. */
  public record Start(RunSpec spec, ActorRef<StatusReply<Started>> replyTo) implements Command {}

  public record Started(String runId, boolean created) implements CborSerializable {}

  public record Pause(ActorRef<StatusReply<View>> replyTo) implements Command {}

  public record Resume(ActorRef<StatusReply<View>> replyTo) implements Command {}

  public record Cancel(ActorRef<StatusReply<View>> replyTo) implements Command {}

  public record GetStatus(ActorRef<View> replyTo) implements Command {}

  /** Sent after a restart to unfinished runs: recovery alone resumes them. */
  public record Wake() implements Command {}

  record PageListed(List<FileRef> files, boolean more) implements Command {}

  record ListFailed(String error) implements Command {}

  /** From a FileWorker: the chunk's files are all stored (members or quarantine). */
  public record ChunkSettled(long chunkIndex, int attempt, int ingested, int quarantined, Instant settledAt)
      implements Command {}

  /** From a FileWorker: the chunk could not be settled; it is dispatched again after a backoff. */
  public record ChunkFailed(long chunkIndex, int attempt, String reason) implements Command {}

  record ChunkTimedOut(long chunkIndex, int attempt) implements Command {}

  record Redispatch(long chunkIndex) implements Command {}

  /** From the tracker: the chunk is counted; {@code runCompleted} once the whole run is. */
  public record ChunkRecorded(long chunkIndex, boolean runCompleted) implements Command {}

  public record ListingRecorded(boolean runCompleted) implements Command {}

  public enum Control { NEW, RUNNING, PAUSED, CANCELLED, FINISHED }

  /** The supervisor's side of a run's status (the tracker has the counts). */
  public record View(String runId, RunSpec spec, Control control, String offset, long listed,
                     boolean listingFinished, int chunksInFlight, Instant startedAt) implements CborSerializable {}

  // ---- events
  public sealed interface Event extends CborSerializable
      permits RunStarted, ChunksCommitted, ListingFinished, ControlChanged {}

  public record RunStarted(RunSpec spec, Instant at) implements Event {}

  /** Every chunk below {@code nextChunk} is settled; {@code offset} is the last key of chunk nextChunk-1. */
  public record ChunksCommitted(String offset, long nextChunk, long files) implements Event {}

  public record ListingFinished(long totalChunks, long totalFiles) implements Event {}

  public record ControlChanged(Control control, Instant at) implements Event {}

  // ---- state
  public record State(RunSpec spec, Instant startedAt, Control control, String offset, long nextChunk,
                      long committedFiles, boolean listingFinished, long totalChunks, long totalFiles)
      implements CborSerializable {
    static State empty() {
      return new State(null, null, Control.NEW, "", 0, 0, false, -1, -1);
    }

    State apply(Event event) {
      if (event instanceof RunStarted e) {
        return new State(e.spec(), e.at(), Control.RUNNING, "", 0, 0, false, -1, -1);
      } else if (event instanceof ChunksCommitted e) {
        return new State(spec, startedAt, control, e.offset(), e.nextChunk(), committedFiles + e.files(),
            listingFinished, totalChunks, totalFiles);
      } else if (event instanceof ListingFinished e) {
        return new State(spec, startedAt, control, offset, nextChunk, committedFiles, true, e.totalChunks(),
            e.totalFiles());
      } else {
        ControlChanged e = (ControlChanged) event;
        return new State(spec, startedAt, e.control(), offset, nextChunk, committedFiles, listingFinished,
            totalChunks, totalFiles);
      }
    }

    boolean active() {
      return control == Control.RUNNING || control == Control.PAUSED;
    }
  }

  /** What the supervisor needs from outside. */
  public record Dependencies(ClusterSharding sharding, S3AsyncClient s3, RunStore runs, IngestionSettings settings,
                             Clock clock, Duration readModelInterval) {}

  /** A chunk between dispatch and commit. */
  private record Chunk(long index, List<FileRef> files, int attempt) {
    String lastKey() {
      return files.get(files.size() - 1).key();
    }

    Chunk retried() {
      return new Chunk(index, files, attempt + 1);
    }
  }

  private final String runId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  private final IngestionSettings settings;

  // Transient: rebuilt from the persisted offset on recovery.
  private String cursor = "";
  private final ArrayDeque<FileRef> pending = new ArrayDeque<>();
  private boolean listing;
  private boolean exhausted;
  private long nextAssign;
  private long assignedFiles;
  private final TreeMap<Long, Chunk> inFlight = new TreeMap<>();
  private final TreeMap<Long, Chunk> recording = new TreeMap<>();
  private final TreeMap<Long, Chunk> settled = new TreeMap<>();
  private long chunksSinceLog;
  private final ReadModelWriter readModel;

  public static Behavior<Command> create(String runId, Dependencies deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new IngestionSupervisor(runId, ctx, timers, deps)));
  }

  private IngestionSupervisor(String runId, ActorContext<Command> ctx, TimerScheduler<Command> timers,
                              Dependencies deps) {
    super(PersistenceId.of(TYPE_KEY.name(), runId));
    this.runId = runId;
    this.ctx = ctx;
    this.timers = timers;
    this.deps = deps;
    this.settings = deps.settings();
    this.readModel = new ReadModelWriter(runId, "control", deps.clock(), deps.readModelInterval());
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Start.class, this::onStart)
        .onCommand(Pause.class, (s, c) -> changeControl(s, Control.PAUSED, c.replyTo()))
        .onCommand(Resume.class, (s, c) -> changeControl(s, Control.RUNNING, c.replyTo()))
        .onCommand(Cancel.class, (s, c) -> changeControl(s, Control.CANCELLED, c.replyTo()))
        .onCommand(GetStatus.class, (s, c) -> {
          c.replyTo().tell(view(s));
          return Effect().none();
        })
        .onCommand(Wake.class, (s, c) -> kick(s))
        .onCommand(PageListed.class, this::onPageListed)
        .onCommand(ListFailed.class, this::onListFailed)
        .onCommand(ChunkSettled.class, this::onChunkSettled)
        .onCommand(ChunkFailed.class, (s, c) -> retry(s, c.chunkIndex(), c.attempt(), c.reason()))
        .onCommand(ChunkTimedOut.class, (s, c) -> retry(s, c.chunkIndex(), c.attempt(),
            "not settled within " + settings.chunkTimeout()))
        .onCommand(Redispatch.class, this::onRedispatch)
        .onCommand(ChunkRecorded.class, this::onChunkRecorded)
        .onCommand(ListingRecorded.class, (s, c) -> c.runCompleted() ? finish(s) : Effect().none())
        .build();
  }

  // ---- start and control

  private Effect<Event, State> onStart(State state, Start start) {
    if (state.control() != Control.NEW) {
      start.replyTo().tell(StatusReply.success(new Started(runId, false)));
      return Effect().none();
    }
    return Effect().persist(new RunStarted(start.spec(), deps.clock().instant())).thenRun(s -> {
      log.info("run {} started: s3://{}/{} (expected files: {}, from {})", runId, s.spec().bucket(), s.spec().prefix(),
          s.spec().expectedFiles() == RunSpec.UNKNOWN ? "not given" : s.spec().expectedFiles(), s.spec().origin());
      writeReadModel(s, true);
      start.replyTo().tell(StatusReply.success(new Started(runId, true)));
      kickLater();
    });
  }

  private Effect<Event, State> changeControl(State state, Control target, ActorRef<StatusReply<View>> replyTo) {
    if (!state.active()) {
      replyTo.tell(StatusReply.error("run " + runId + " is " + state.control().name().toLowerCase()
          + (state.control() == Control.NEW ? " (never started)" : "") + "; it cannot be "
          + target.name().toLowerCase().replace("running", "resumed")));
      return Effect().none();
    }
    if (state.control() == target) {
      replyTo.tell(StatusReply.success(view(state)));
      return Effect().none();
    }
    return Effect().persist(new ControlChanged(target, deps.clock().instant())).thenRun(s -> {
      log.info("run {} is now {}", runId, target);
      if (target == Control.CANCELLED) {
        pending.clear();
        exhausted = true;
      }
      writeReadModel(s, true);
      replyTo.tell(StatusReply.success(view(s)));
      kickLater();
    });
  }

  private Effect<Event, State> finish(State state) {
    if (state.control() == Control.FINISHED) return Effect().none();
    return Effect().persist(new ControlChanged(Control.FINISHED, deps.clock().instant()))
        .thenRun(s -> writeReadModel(s, true));
  }

  // ---- listing

  private void requestPage(State state) {
    listing = true;
    ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
        .bucket(state.spec().bucket()).prefix(state.spec().prefix()).maxKeys(settings.listPageSize());
    if (!cursor.isEmpty()) request.startAfter(cursor);
    ListObjectsV2Request r = request.build();
    ctx.pipeToSelf(Retrying.call(settings.retry(), () -> deps.s3().listObjectsV2(r)), (page, error) -> {
      if (error != null) return new ListFailed(String.valueOf(Retrying.unwrap(error)));
      List<FileRef> files = page.contents().stream().map(o -> new FileRef(o.key(), o.size())).toList();
      return new PageListed(files, Boolean.TRUE.equals(page.isTruncated()) && !files.isEmpty());
    });
  }

  private Effect<Event, State> onPageListed(State state, PageListed page) {
    listing = false;
    if (state.control() == Control.CANCELLED || state.control() == Control.FINISHED) return Effect().none();
    pending.addAll(page.files());
    if (!page.files().isEmpty()) cursor = page.files().get(page.files().size() - 1).key();
    exhausted = !page.more();
    return kick(state);
  }

  private Effect<Event, State> onListFailed(State state, ListFailed failure) {
    listing = false;
    log.error("run {}: listing after '{}' failed, retrying in {}: {}", runId, cursor, settings.retry().maxBackoff(),
        failure.error());
    timers.startSingleTimer("list-retry", new Wake(), settings.retry().maxBackoff());
    return Effect().none();
  }

  // ---- dispatch

  /** Dispatches what the window allows, lists ahead when needed, closes the listing at its end. */
  private Effect<Event, State> kick(State state) {
    if (state.control() != Control.RUNNING) return Effect().none();
    // settled chunks wait behind a slower one for their commit: they count too, or the window slides past the
    // offset and a crash redoes more than the window
    while (inFlight.size() + recording.size() + settled.size() < settings.maxChunksInFlight()
        && (pending.size() >= settings.chunkSize() || (exhausted && !pending.isEmpty()))) {
      if (state.listingFinished() && nextAssign >= state.totalChunks()) {
        pending.clear(); // keys that appeared after the listing was closed belong to another run
        break;
      }
      List<FileRef> files = new ArrayList<>(Math.min(settings.chunkSize(), pending.size()));
      while (files.size() < settings.chunkSize() && !pending.isEmpty()) files.add(pending.poll());
      Chunk chunk = new Chunk(nextAssign++, List.copyOf(files), 1);
      assignedFiles += files.size();
      dispatch(state, chunk);
    }
    if (!exhausted && !listing && pending.size() < settings.listPageSize()) requestPage(state);
    if (exhausted && pending.isEmpty() && !state.listingFinished()) {
      long totalFiles = state.committedFiles() + assignedFiles;
      return Effect().persist(new ListingFinished(nextAssign, totalFiles)).thenRun(s -> {
        log.info("run {}: listing finished, {} files in {} chunks", runId, totalFiles, nextAssign);
        writeReadModel(s, true);
        closeListing(s);
      });
    }
    return Effect().none();
  }

  /** Dispatching may need a persist (ListingFinished), which a thenRun callback cannot do: go through the mailbox. */
  private void kickLater() {
    ctx.getSelf().tell(new Wake());
  }

  private void closeListing(State s) {
    deps.sharding().entityRefFor(CompletionTracker.TYPE_KEY, runId)
        .tell(new CompletionTracker.CloseListing(s.spec(), s.startedAt(), s.totalChunks(), s.totalFiles()));
  }

  private void dispatch(State state, Chunk chunk) {
    inFlight.put(chunk.index(), chunk);
    String worker = String.valueOf(Math.floorMod(chunk.index(), settings.workers()));
    deps.sharding().entityRefFor(FileWorker.TYPE_KEY, worker).tell(new FileWorker.ProcessChunk(
        runId, state.spec().bucket(), chunk.index(), chunk.attempt(), chunk.files()));
    timers.startSingleTimer(timerKey(chunk.index()), new ChunkTimedOut(chunk.index(), chunk.attempt()),
        settings.chunkTimeout());
  }

  private static String timerKey(long chunk) {
    return "chunk-" + chunk;
  }

  private Effect<Event, State> retry(State state, long index, int attempt, String reason) {
    Chunk chunk = inFlight.get(index);
    if (chunk == null || chunk.attempt() != attempt) return Effect().none(); // stale: settled or already retried
    Duration backoff = settings.retry().backoff(attempt);
    log.warn("run {}: chunk {} ({} files from '{}') attempt {} failed, dispatching again in {}: {}", runId, index,
        chunk.files().size(), chunk.files().get(0).key(), attempt, backoff, reason);
    timers.startSingleTimer(timerKey(index), new Redispatch(index), backoff);
    return Effect().none();
  }

  private Effect<Event, State> onRedispatch(State state, Redispatch r) {
    Chunk chunk = inFlight.get(r.chunkIndex());
    if (chunk == null || !state.active()) return Effect().none();
    dispatch(state, chunk.retried());
    return Effect().none();
  }

  // ---- settling and committing

  private Effect<Event, State> onChunkSettled(State state, ChunkSettled s) {
    Chunk chunk = inFlight.remove(s.chunkIndex());
    if (chunk == null) return Effect().none(); // a late answer from an earlier attempt
    timers.cancel(timerKey(s.chunkIndex()));
    recording.put(chunk.index(), chunk);
    deps.sharding().entityRefFor(CompletionTracker.TYPE_KEY, runId).tell(new CompletionTracker.RecordChunk(
        chunk.index(), chunk.files().size(), s.ingested(), s.quarantined(), s.settledAt()));
    return kick(state);
  }

  private Effect<Event, State> onChunkRecorded(State state, ChunkRecorded r) {
    Chunk chunk = recording.remove(r.chunkIndex());
    if (chunk != null) settled.put(chunk.index(), chunk);
    long next = state.nextChunk();
    long files = 0;
    String offset = state.offset();
    while (settled.containsKey(next)) {
      Chunk c = settled.remove(next);
      files += c.files().size();
      offset = c.lastKey();
      next++;
    }
    if (next == state.nextChunk()) return r.runCompleted() ? finish(state) : kick(state);
    assignedFiles -= files;
    long committed = next - state.nextChunk();
    List<Event> events = new ArrayList<>(2);
    events.add(new ChunksCommitted(offset, next, files));
    if (r.runCompleted() && state.control() != Control.FINISHED) {
      events.add(new ControlChanged(Control.FINISHED, deps.clock().instant()));
    }
    return Effect().persist(events).thenRun(s -> {
      chunksSinceLog += committed;
      if (chunksSinceLog >= settings.logEveryChunks() || s.control() == Control.FINISHED) {
        chunksSinceLog = 0;
        log.info("run {}: {} files committed up to '{}' ({} chunks in flight)", runId, s.committedFiles(),
            s.offset(), inFlight.size() + recording.size());
      }
      writeReadModel(s, s.control() == Control.FINISHED);
      kickLater();
    });
  }

  // ---- views and read model

  private View view(State s) {
    return new View(runId, s.spec(), s.control(), s.offset(), s.committedFiles() + assignedFiles + pending.size(),
        s.listingFinished(), inFlight.size() + recording.size(), s.startedAt());
  }

  private void writeReadModel(State s, boolean force) {
    if (s.spec() == null) return;
    long version = lastSequenceNumber(ctx);
    long listed = view(s).listed();
    readModel.write(force, () -> deps.runs().write(new RunStore.Control(runId, s.spec().bucket(), s.spec().prefix(),
        s.spec().expectedFiles(), s.control().name(), s.offset(), listed, s.listingFinished(), s.startedAt()), version));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          cursor = state.offset();
          nextAssign = state.nextChunk();
          if (state.spec() == null) return;
          if (state.active() && state.nextChunk() > 0) {
            log.info("run {} recovered {}: resuming after '{}' (chunk {}, {} files committed)", runId,
                state.control(), state.offset(), state.nextChunk(), state.committedFiles());
          }
          if (state.listingFinished() && state.control() == Control.RUNNING) closeListing(state);
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
