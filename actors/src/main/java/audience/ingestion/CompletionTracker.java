package audience.ingestion;

import audience.CborSerializable;
import audience.config.Settings.IngestionSettings;
import audience.store.RunReadModel;
import audience.store.RunStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The completion aggregate of one run. It counts settled chunks (once each, however often a chunk is redone) and,
 * the moment the listing is closed and every listed chunk is counted, persists {@link Completed} and emits the done
 * event exactly once: to in-cluster subscribers of the {@link IngestionDone#TOPIC} topic and through the
 * {@link DoneNotifier} (SNS). The notification is an outbox: its intent is the Completed event, its outcome
 * {@link Notified}; recovery redoes a missing outcome. Design: docs/architecture.md.
 */
public final class CompletionTracker extends EventSourcedBehaviorWithEnforcedReplies<CompletionTracker.Command,
    CompletionTracker.Event, CompletionTracker.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "CompletionTracker");

  /** Registers the entity with sharding on this node. */
  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY, e -> create(e.getEntityId(), deps)));
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable
      permits RecordChunk, CloseListing, GetTally, NotifyFinished, Republish {}

  /**
   * A chunk is settled; answered with {@link IngestionRun.ChunkCounted} through the peers (sharding), so that a run
   * moved to another node still gets it. Idempotent per chunk.
   */
  public record RecordChunk(long chunkIndex, int files, int ingested, int quarantined, Instant settledAt)
      implements Command {}

  /** The listing is over: the run has exactly {@code totalChunks} chunks and {@code totalFiles} files. */
  public record CloseListing(RunSpec spec, Instant startedAt, long totalChunks, long totalFiles)
      implements Command {}

  public record GetTally(ActorRef<Tally> replyTo) implements Command {}

  record NotifyFinished(String messageId, String error) implements Command {}

  /** Timer: publish the done event again after a failed notification. */
  record Republish() implements Command {}

  /** The run's counts as the tracker has them (the reply to {@link GetTally}). */
  public record Tally(long settledChunks, long settledFiles, long ingested, long quarantined,
                      boolean listingClosed, long totalChunks, long totalFiles, boolean completed,
                      String warning, Instant completedAt) implements CborSerializable {}

  // ---- events: each knows how it changes the state

  public sealed interface Event extends CborSerializable permits ChunkRecorded, ListingClosed, Completed, Notified {
    State applyTo(State state);
  }

  /** {@code settledAt}: when the worker had the chunk's last file stored. */
  public record ChunkRecorded(long chunkIndex, int files, int ingested, int quarantined, Instant settledAt)
      implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.chunks().with(chunkIndex), s.counts().plus(this), s.listing(), s.completion());
    }
  }

  public record ListingClosed(RunSpec spec, Instant startedAt, long totalChunks, long totalFiles) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.chunks(), s.counts(), new Listing(spec, startedAt, totalChunks, totalFiles), s.completion());
    }
  }

  public record Completed(Instant at, String warning) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.chunks(), s.counts(), s.listing(), new Completion(at, warning, false));
    }
  }

  public record Notified(String messageId, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      Completion o = s.completion();
      return new State(s.chunks(), s.counts(), s.listing(), new Completion(o.completedAt(), o.warning(), true));
    }
  }

  // ---- state

  /**
   * Which chunks are recorded: every chunk below {@code watermark}, and those in {@code above} (at most the
   * run's in-flight window).
   */
  public record Chunks(long watermark, TreeSet<Long> above) implements CborSerializable {
    static final Chunks NONE = new Chunks(0, new TreeSet<>());

    boolean contains(long chunk) {
      return chunk < watermark || above.contains(chunk);
    }

    Chunks with(long chunk) {
      TreeSet<Long> next = new TreeSet<>(above);
      next.add(chunk);
      long w = watermark;
      while (next.remove(w)) w++;
      return new Chunks(w, next);
    }
  }

  /** What the recorded chunks add up to; {@code lastSettledAt}: when the latest of them was stored. */
  public record Counts(long settledChunks, long settledFiles, long ingested, long quarantined, Instant lastSettledAt)
      implements CborSerializable {
    static final Counts NONE = new Counts(0, 0, 0, 0, null);

    Counts plus(ChunkRecorded c) {
      Instant last = lastSettledAt == null || (c.settledAt() != null && c.settledAt().isAfter(lastSettledAt))
          ? c.settledAt() : lastSettledAt;
      return new Counts(settledChunks + 1, settledFiles + c.files(), ingested + c.ingested(),
          quarantined + c.quarantined(), last);
    }
  }

  /** The closed listing: what the run is; null in the state until the run entity closes it. */
  public record Listing(RunSpec spec, Instant startedAt, long totalChunks, long totalFiles)
      implements CborSerializable {}

  /** Completion (the outbox's intent) and whether the done event was confirmed sent (its outcome). */
  public record Completion(Instant completedAt, String warning, boolean notified) implements CborSerializable {
    static final Completion PENDING = new Completion(null, "", false);
  }

  public record State(Chunks chunks, Counts counts, Listing listing, Completion completion) implements CborSerializable {
    static final State EMPTY = new State(Chunks.NONE, Counts.NONE, null, Completion.PENDING);

    boolean listingClosed() {
      return listing != null;
    }

    boolean completed() {
      return completion.completedAt() != null;
    }

    boolean readyToComplete() {
      return listingClosed() && !completed() && counts.settledChunks() == listing.totalChunks();
    }

    Tally tally() {
      return new Tally(counts.settledChunks(), counts.settledFiles(), counts.ingested(), counts.quarantined(),
          listingClosed(), listingClosed() ? listing.totalChunks() : -1, listingClosed() ? listing.totalFiles() : -1,
          completed(), completion.warning(), completion.completedAt());
    }

    IngestionDone done(String runId) {
      return new IngestionDone(runId, listing.spec().bucket(), listing.spec().prefix(), listing.totalFiles(),
          counts.ingested(), counts.quarantined(), completion.warning(), listing.startedAt(),
          counts.lastSettledAt() == null ? completion.completedAt() : counts.lastSettledAt(), completion.completedAt());
    }
  }

  /** What the tracker needs from outside; passed in, so tests can hand it their own. */
  public record Dependencies(IngestionPeers peers, RunReadModel runs, DoneNotifier notifier,
                             ActorRef<Topic.Command<IngestionDone>> topic, Clock clock, IngestionSettings settings) {}

  private static final String REPUBLISH_TIMER = "republish";
  private static final double PERSIST_RESTART_JITTER = 0.2;

  private final String runId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  private final ReadModelWriter readModel;

  public static Behavior<Command> create(String runId, Dependencies deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new CompletionTracker(runId, ctx, timers, deps)));
  }

  private CompletionTracker(String runId, ActorContext<Command> ctx, TimerScheduler<Command> timers,
                            Dependencies deps) {
    // A failed persist stops the entity; it starts again after a backoff and recovers from its journal.
    super(PersistenceId.of(TYPE_KEY.name(), runId), SupervisorStrategy.restartWithBackoff(
        deps.settings().retry().minBackoff(), deps.settings().retry().maxBackoff(), PERSIST_RESTART_JITTER));
    this.runId = runId;
    this.ctx = ctx;
    this.timers = timers;
    this.deps = deps;
    this.readModel = new ReadModelWriter(runId, "tally", deps.clock(), deps.settings().readModelInterval());
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  // ---- command handlers, by phase: counting, then completed

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forState(s -> !s.completed())
        .onCommand(RecordChunk.class, this::record)
        .onCommand(CloseListing.class, this::close)
        .onCommand(GetTally.class, this::tally)
        .onCommand(NotifyFinished.class, (s, c) -> Effect().noReply()) // only sent once completed
        .onCommand(Republish.class, (s, c) -> Effect().noReply());
    b.forState(State::completed)
        .onCommand(RecordChunk.class, (s, c) -> {
          answerRun(new IngestionRun.ChunkCounted(c.chunkIndex(), true)); // a repeat: the run missed the answer
          return Effect().noReply();
        })
        .onCommand(CloseListing.class, (s, c) -> {
          answerRun(new IngestionRun.ListingCounted(true));
          return Effect().noReply();
        })
        .onCommand(GetTally.class, this::tally)
        .onCommand(NotifyFinished.class, this::notifyFinished)
        .onCommand(Republish.class, (s, c) -> {
          if (!s.completion().notified()) publish(s.done(runId));
          return Effect().noReply();
        });
    return b.build();
  }

  private void answerRun(IngestionRun.Command answer) {
    deps.peers().run().apply(runId).tell(answer);
  }

  private ReplyEffect<Event, State> tally(State state, GetTally get) {
    return Effect().reply(get.replyTo(), state.tally());
  }

  private ReplyEffect<Event, State> record(State state, RecordChunk c) {
    if (state.chunks().contains(c.chunkIndex())) {
      answerRun(new IngestionRun.ChunkCounted(c.chunkIndex(), false));
      return Effect().noReply();
    }
    List<Event> events = new ArrayList<>(2);
    events.add(new ChunkRecorded(c.chunkIndex(), c.files(), c.ingested(), c.quarantined(), c.settledAt()));
    completion(events.get(0).applyTo(state)).ifPresent(events::add);
    return Effect().persist(events).thenRun(next -> {
      answerRun(new IngestionRun.ChunkCounted(c.chunkIndex(), next.completed()));
      afterPersist(next, events.size() > 1);
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> close(State state, CloseListing c) {
    if (state.listingClosed()) {
      answerRun(new IngestionRun.ListingCounted(false));
      return Effect().noReply();
    }
    List<Event> events = new ArrayList<>(2);
    events.add(new ListingClosed(c.spec(), c.startedAt(), c.totalChunks(), c.totalFiles()));
    completion(events.get(0).applyTo(state)).ifPresent(events::add);
    return Effect().persist(events).thenRun(next -> {
      answerRun(new IngestionRun.ListingCounted(next.completed()));
      afterPersist(next, events.size() > 1);
    }).thenNoReply();
  }

  private Optional<Event> completion(State next) {
    if (!next.readyToComplete()) return Optional.empty();
    long expected = next.listing().spec().expectedFiles();
    String warning = expected != RunSpec.UNKNOWN && expected != next.listing().totalFiles()
        ? "expected " + expected + " files, listed " + next.listing().totalFiles() : "";
    return Optional.of(new Completed(deps.clock().instant(), warning));
  }

  private void afterPersist(State state, boolean justCompleted) {
    writeReadModel(state, justCompleted);
    if (justCompleted) {
      IngestionDone done = state.done(runId);
      ctx.getLog().info("run {} completed: {} listed, {} ingested, {} quarantined{}", runId, done.listed(),
          done.ingested(), done.quarantined(), done.warning().isEmpty() ? "" : " (warning: " + done.warning() + ")");
      publish(done);
    }
  }

  /** The outbox's effect: publish in the cluster and notify outside it; the outcome is persisted on success. */
  private void publish(IngestionDone done) {
    deps.topic().tell(Topic.publish(done));
    ctx.pipeToSelf(deps.notifier().notify(done), (id, error) ->
        new NotifyFinished(id, error == null ? null : String.valueOf(error)));
  }

  private ReplyEffect<Event, State> notifyFinished(State state, NotifyFinished n) {
    if (n.error() != null) {
      ctx.getLog().error("run {}: done notification failed, publishing it again in {}: {}", runId,
          deps.settings().resendInterval(), n.error());
      timers.startSingleTimer(REPUBLISH_TIMER, new Republish(), deps.settings().resendInterval());
      return Effect().noReply();
    }
    if (state.completion().notified()) return Effect().noReply();
    return Effect().persist(new Notified(n.messageId(), deps.clock().instant()))
        .thenRun(s -> writeReadModel(s, true)).thenNoReply();
  }

  private void writeReadModel(State s, boolean force) {
    long version = lastSequenceNumber(ctx);
    readModel.write(force, () -> deps.runs().write(new RunStore.TallyPart(runId, s.counts().ingested(),
        s.counts().quarantined(), s.counts().settledChunks(), s.completed(), s.completion().warning(),
        s.completion().completedAt(), s.completion().notified()), version));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> event.applyTo(state));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.completed() && !state.completion().notified()) {
            ctx.getLog().info("run {}: completed but the done event was not confirmed; publishing it again", runId);
            publish(state.done(runId));
          }
        })
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.settings().snapshotEvery(), 2);
  }
}
