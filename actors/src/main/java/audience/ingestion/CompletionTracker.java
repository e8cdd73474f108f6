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
import java.util.List;

/**
 * The completion aggregate of one run. The run entity tells it the run's progress after each commit (kept in memory
 * and in the runs read model, not journaled: the run has it in its own journal and sends it again) and, once the
 * listing is finished and every listed file is committed, {@link Finish} with the committed totals. The tracker then
 * persists {@link Completed} and emits the done event exactly once: to in-cluster subscribers of the
 * {@link IngestionDone#TOPIC} topic and through the {@link DoneNotifier} (SNS). The notification is an outbox: its
 * intent is the Completed event, its outcome {@link Notified}; recovery and the republish timer redo a missing
 * outcome. Design: docs/architecture.md.
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
      permits Advance, Finish, GetTally, NotifyFinished, Republish {}

  /** The run's committed progress (cumulative, so a repeat or a reordering is harmless). */
  public record Advance(Counts committed) implements Command {}

  /**
   * The run is whole: its listing is finished and every listed file committed, adding up to {@code totals}.
   * Answered with {@link IngestionRun.DoneRecorded} through the peers (sharding), every time it is sent.
   */
  public record Finish(RunSpec spec, Instant startedAt, Counts totals) implements Command {}

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

  /** Journals from before completion was decided by the run's watermark: one event per counted chunk. */
  public record ChunkRecorded(long chunkIndex, int files, int ingested, int quarantined, Instant settledAt)
      implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.counts().plus(this), s.listing(), s.completion());
    }
  }

  /** The run as it finished; {@code counts} is null in journals from before the run sent its totals. */
  public record ListingClosed(RunSpec spec, Instant startedAt, long totalChunks, long totalFiles, Counts counts)
      implements Event {
    @Override
    public State applyTo(State s) {
      return new State(counts == null ? s.counts() : counts, new Listing(spec, startedAt, totalChunks, totalFiles),
          s.completion());
    }
  }

  public record Completed(Instant at, String warning) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.counts(), s.listing(), new Completion(at, warning, false));
    }
  }

  public record Notified(String messageId, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      Completion o = s.completion();
      return new State(s.counts(), s.listing(), new Completion(o.completedAt(), o.warning(), true));
    }
  }

  // ---- state

  /**
   * What committed chunks add up to: {@code settledChunks} chunks of {@code settledFiles} files;
   * {@code lastSettledAt}: when the latest of them was stored.
   */
  public record Counts(long settledChunks, long settledFiles, long ingested, long quarantined, Instant lastSettledAt,
                       long newestLastActive) implements CborSerializable {
    static final Counts NONE = new Counts(0, 0, 0, 0, null, 0);

    public Counts(long settledChunks, long settledFiles, long ingested, long quarantined, Instant lastSettledAt) {
      this(settledChunks, settledFiles, ingested, quarantined, lastSettledAt, 0);
    }

    boolean isBehind(Counts other) {
      return settledChunks < other.settledChunks();
    }

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

  /** Snapshots from before the watermark also hold the recorded chunk numbers (ignored now). */
  public record State(Counts counts, Listing listing, Completion completion) implements CborSerializable {
    static final State EMPTY = new State(Counts.NONE, null, Completion.PENDING);

    boolean listingClosed() {
      return listing != null;
    }

    boolean completed() {
      return completion.completedAt() != null;
    }

    /** The tally, with {@code progress} (what the run last said) until the run is completed. */
    Tally tally(Counts progress) {
      Counts counts = completed() || !this.counts.isBehind(progress) ? this.counts : progress;
      return new Tally(counts.settledChunks(), counts.settledFiles(), counts.ingested(), counts.quarantined(),
          listingClosed(), listingClosed() ? listing.totalChunks() : -1, listingClosed() ? listing.totalFiles() : -1,
          completed(), completion.warning(), completion.completedAt());
    }

    IngestionDone done(String runId) {
      return new IngestionDone(runId, listing.spec().bucket(), listing.spec().prefix(), listing.totalFiles(),
          counts.ingested(), counts.quarantined(), completion.warning(), listing.startedAt(),
          counts.lastSettledAt() == null ? completion.completedAt() : counts.lastSettledAt(), completion.completedAt(),
          counts.newestLastActive() > 0 ? Instant.ofEpochMilli(counts.newestLastActive()) : null);
    }
  }

  /** What the tracker needs from outside; passed in, so tests can hand it their own. */
  public record Dependencies(IngestionPeers peers, RunReadModel runs, DoneNotifier notifier,
                             ActorRef<Topic.Command<IngestionDone>> topic, Clock clock, IngestionSettings settings,
                             IngestionMetrics metrics) {}

  private static final String REPUBLISH_TIMER = "republish";
  private static final double PERSIST_RESTART_JITTER = 0.2;
  /** Read model versions per committed chunk: room for completed and notified at the last one. */
  private static final long VERSION_STEPS_PER_CHUNK = 3;

  private final String runId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  private final ReadModelWriter readModel;
  /** What the run last said it committed (transient: the run sends it again after a restart of either). */
  private Counts progress = Counts.NONE;

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

  // ---- command handlers, by phase: running, then completed

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forState(s -> !s.completed())
        .onCommand(Advance.class, this::advance)
        .onCommand(Finish.class, this::finish)
        .onCommand(GetTally.class, this::tally)
        .onCommand(NotifyFinished.class, (s, c) -> Effect().noReply()) // only sent once completed
        .onCommand(Republish.class, (s, c) -> Effect().noReply());
    b.forState(State::completed)
        .onCommand(Advance.class, (s, c) -> Effect().noReply()) // a late progress report
        .onCommand(Finish.class, (s, c) -> {
          answerRun(new IngestionRun.DoneRecorded()); // a repeat: the run missed the answer
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
    return Effect().reply(get.replyTo(), state.tally(progress));
  }

  private ReplyEffect<Event, State> advance(State state, Advance a) {
    if (progress.isBehind(a.committed())) {
      progress = a.committed();
      writeReadModel(state, false);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> finish(State state, Finish f) {
    progress = f.totals();
    Counts t = f.totals();
    long expected = f.spec().expectedFiles();
    String warning = expected != RunSpec.UNKNOWN && expected != t.settledFiles()
        ? "expected " + expected + " files, listed " + t.settledFiles() : "";
    return Effect().persist(List.of(
            new ListingClosed(f.spec(), f.startedAt(), t.settledChunks(), t.settledFiles(), t),
            new Completed(deps.clock().instant(), warning)))
        .thenRun(next -> {
          answerRun(new IngestionRun.DoneRecorded());
          afterPersist(next, true);
        }).thenNoReply();
  }

  private void afterPersist(State state, boolean justCompleted) {
    writeReadModel(state, justCompleted);
    if (justCompleted) {
      IngestionDone done = state.done(runId);
      ctx.getLog().info("run {} completed: {} listed, {} ingested, {} quarantined{}", runId, done.listed(),
          done.ingested(), done.quarantined(), done.warning().isEmpty() ? "" : " (warning: " + done.warning() + ")");
      deps.metrics().runCompleted();
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

  /**
   * The tally's part of the runs row, versioned by progress: committed chunks, then completion, then notification,
   * so that a late or repeated write never moves the row backwards.
   */
  private void writeReadModel(State s, boolean force) {
    Tally t = s.tally(progress);
    long version = t.settledChunks() * VERSION_STEPS_PER_CHUNK + (t.completed() ? 1 : 0)
        + (s.completion().notified() ? 1 : 0);
    readModel.write(force, () -> deps.runs().write(new RunStore.TallyPart(runId, t.ingested(), t.quarantined(),
        t.settledChunks(), t.completed(), t.warning(), t.completedAt(), s.completion().notified()), version));
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
