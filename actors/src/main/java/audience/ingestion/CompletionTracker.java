package audience.ingestion;

import audience.CborSerializable;
import audience.store.RunStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The completion aggregate of one run. It counts settled chunks (once each, however often a chunk is
 * redone) and, the moment the listing is closed and every listed chunk is settled, persists
 * {@link Completed} and emits the done event exactly once: to in-cluster subscribers of the
 * {@link IngestionDone#TOPIC} topic and through the {@link DoneNotifier} (SNS). The notification is an
 * outbox: its intent is the Completed event, its outcome {@link Notified}; recovery redoes a missing outcome.
 */
public final class CompletionTracker
    extends EventSourcedBehavior<CompletionTracker.Command, CompletionTracker.Event, CompletionTracker.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "CompletionTracker");

  // ---- protocol
  public sealed interface Command extends CborSerializable
      permits RecordChunk, CloseListing, GetProgress, NotifyFinished {}

  /**
   * A chunk is settled; answered with {@link IngestionSupervisor.ChunkRecorded}, through sharding so that a run
   * moved to another node still gets it. Idempotent per chunk.
   */
  public record RecordChunk(long chunkIndex, int files, int ingested, int quarantined, Instant settledAt)
      implements Command {}

  /** The listing is over: the run has exactly {@code totalChunks} chunks and {@code totalFiles} files. */
  public record CloseListing(RunSpec spec, Instant startedAt, long totalChunks, long totalFiles)
      implements Command {}

  public record GetProgress(ActorRef<Progress> replyTo) implements Command {}

  record NotifyFinished(String messageId, String error) implements Command {}

  /** Counts as the tracker has them. */
  public record Progress(long settledChunks, long settledFiles, long ingested, long quarantined,
                         boolean listingClosed, long totalChunks, long totalFiles, boolean completed,
                         String warning, Instant completedAt) implements CborSerializable {}

  // ---- events
  public sealed interface Event extends CborSerializable permits ChunkRecorded, ListingClosed, Completed, Notified {}

  /** {@code settledAt}: when the worker had the chunk's last file stored. */
  public record ChunkRecorded(long chunkIndex, int files, int ingested, int quarantined, Instant settledAt)
      implements Event {}

  public record ListingClosed(RunSpec spec, Instant startedAt, long totalChunks, long totalFiles) implements Event {}

  public record Completed(Instant at, String warning) implements Event {}

  public record Notified(String messageId, Instant at) implements Event {}

  // ---- state
  /**
   * {@code watermark}: every chunk below it is recorded; {@code above}: recorded chunks at or over it (at most
   * the in-flight window). {@code spec} is null until the listing is closed.
   */
  public record State(long watermark, TreeSet<Long> above, long settledChunks, long settledFiles, long ingested,
                      long quarantined, RunSpec spec, Instant startedAt, long totalChunks, long totalFiles,
                      Instant completedAt, String warning, boolean notified, Instant lastSettledAt)
      implements CborSerializable {
    static State empty() {
      return new State(0, new TreeSet<>(), 0, 0, 0, 0, null, null, -1, -1, null, "", false, null);
    }

    boolean recorded(long chunk) {
      return chunk < watermark || above.contains(chunk);
    }

    boolean listingClosed() {
      return spec != null;
    }

    boolean completed() {
      return completedAt != null;
    }

    boolean readyToComplete() {
      return listingClosed() && !completed() && settledChunks == totalChunks;
    }

    State apply(Event event) {
      if (event instanceof ChunkRecorded e) {
        TreeSet<Long> next = new TreeSet<>(above);
        next.add(e.chunkIndex());
        long w = watermark;
        while (next.remove(w)) w++;
        Instant last = lastSettledAt == null || (e.settledAt() != null && e.settledAt().isAfter(lastSettledAt))
            ? e.settledAt() : lastSettledAt;
        return new State(w, next, settledChunks + 1, settledFiles + e.files(), ingested + e.ingested(),
            quarantined + e.quarantined(), spec, startedAt, totalChunks, totalFiles, completedAt, warning, notified,
            last);
      } else if (event instanceof ListingClosed e) {
        return new State(watermark, above, settledChunks, settledFiles, ingested, quarantined, e.spec(),
            e.startedAt(), e.totalChunks(), e.totalFiles(), completedAt, warning, notified, lastSettledAt);
      } else if (event instanceof Completed e) {
        return new State(watermark, above, settledChunks, settledFiles, ingested, quarantined, spec, startedAt,
            totalChunks, totalFiles, e.at(), e.warning(), notified, lastSettledAt);
      } else {
        return new State(watermark, above, settledChunks, settledFiles, ingested, quarantined, spec, startedAt,
            totalChunks, totalFiles, completedAt, warning, true, lastSettledAt);
      }
    }

    Progress progress() {
      return new Progress(settledChunks, settledFiles, ingested, quarantined, listingClosed(), totalChunks,
          totalFiles, completed(), warning, completedAt);
    }

    IngestionDone done(String runId) {
      return new IngestionDone(runId, spec.bucket(), spec.prefix(), totalFiles, ingested, quarantined, warning,
          startedAt, lastSettledAt == null ? completedAt : lastSettledAt, completedAt);
    }
  }

  /** What the tracker needs from outside; passed in, so tests can hand it their own. */
  public record Dependencies(RunStore runs, DoneNotifier notifier, ActorRef<Topic.Command<IngestionDone>> topic,
                             Clock clock, Duration readModelInterval, int snapshotEvery) {}

  private final String runId;
  private final ActorContext<Command> ctx;
  private final Dependencies deps;
  private final ReadModelWriter readModel;

  public static Behavior<Command> create(String runId, Dependencies deps) {
    return Behaviors.setup(ctx -> new CompletionTracker(runId, ctx, deps));
  }

  private CompletionTracker(String runId, ActorContext<Command> ctx, Dependencies deps) {
    super(PersistenceId.of(TYPE_KEY.name(), runId));
    this.runId = runId;
    this.ctx = ctx;
    this.deps = deps;
    this.readModel = new ReadModelWriter(runId, "progress", deps.clock(), deps.readModelInterval());
  }

  private EntityRef<IngestionSupervisor.Command> supervisor() {
    return ClusterSharding.get(ctx.getSystem()).entityRefFor(IngestionSupervisor.TYPE_KEY, runId);
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(RecordChunk.class, this::onRecordChunk)
        .onCommand(CloseListing.class, this::onCloseListing)
        .onCommand(GetProgress.class, (state, c) -> {
          c.replyTo().tell(state.progress());
          return Effect().none();
        })
        .onCommand(NotifyFinished.class, this::onNotifyFinished)
        .build();
  }

  private Effect<Event, State> onRecordChunk(State state, RecordChunk c) {
    if (state.recorded(c.chunkIndex())) {
      supervisor().tell(new IngestionSupervisor.ChunkRecorded(c.chunkIndex(), state.completed()));
      return Effect().none();
    }
    List<Event> events = new ArrayList<>(2);
    events.add(new ChunkRecorded(c.chunkIndex(), c.files(), c.ingested(), c.quarantined(), c.settledAt()));
    completion(state.apply(events.get(0))).ifPresent(events::add);
    return Effect().persist(events).thenRun(next -> {
      supervisor().tell(new IngestionSupervisor.ChunkRecorded(c.chunkIndex(), next.completed()));
      afterPersist(next, events.size() > 1);
    });
  }

  private Effect<Event, State> onCloseListing(State state, CloseListing c) {
    if (state.listingClosed()) {
      supervisor().tell(new IngestionSupervisor.ListingRecorded(state.completed()));
      return Effect().none();
    }
    List<Event> events = new ArrayList<>(2);
    events.add(new ListingClosed(c.spec(), c.startedAt(), c.totalChunks(), c.totalFiles()));
    completion(state.apply(events.get(0))).ifPresent(events::add);
    return Effect().persist(events).thenRun(next -> {
      supervisor().tell(new IngestionSupervisor.ListingRecorded(next.completed()));
      afterPersist(next, events.size() > 1);
    });
  }

  private java.util.Optional<Event> completion(State next) {
    if (!next.readyToComplete()) return java.util.Optional.empty();
    long expected = next.spec().expectedFiles();
    String warning = expected != RunSpec.UNKNOWN && expected != next.totalFiles()
        ? "expected " + expected + " files, listed " + next.totalFiles() : "";
    return java.util.Optional.of(new Completed(deps.clock().instant(), warning));
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

  private Effect<Event, State> onNotifyFinished(State state, NotifyFinished n) {
    if (n.error() != null) {
      ctx.getLog().error("run {}: done notification failed, will retry on next recovery: {}", runId, n.error());
      return Effect().none();
    }
    if (state.notified()) return Effect().none();
    return Effect().persist(new Notified(n.messageId(), deps.clock().instant()));
  }

  private void writeReadModel(State s, boolean force) {
    long version = lastSequenceNumber(ctx);
    readModel.write(force, () -> deps.runs().write(new RunStore.Progress(runId, s.ingested(), s.quarantined(),
        s.settledChunks(), s.completed(), s.warning(), s.completedAt()), version));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.completed() && !state.notified()) {
            ctx.getLog().info("run {}: completed but the done event was not confirmed; publishing it again", runId);
            publish(state.done(runId));
          }
        })
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.snapshotEvery(), 2);
  }
}
