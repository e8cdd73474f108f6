package audience.segments;

import audience.CborSerializable;
import audience.config.Settings.ConsumerSettings;
import audience.kinesis.Checkpoint;
import audience.kinesis.RecordBatch;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.japi.Pair;
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
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer of one shard of the segments stream (entity id {@code <stream>|<shardId>}, so two streams never share
 * a journal). It persists its {@link Checkpoint} and whether the shard is finished (SHARD_END). Once every parent
 * shard's consumer is finished (parents before children, {@code ShardLineage}), it reads the shard from its
 * checkpoint: for each batch, the effects of every record ({@link BatchEffects}: metadata to S3, then the read model
 * row), then {@link CheckpointAdvanced} (or {@link ShardFinished} for the shard's last batch), and only then the next
 * batch. The stream lives and dies with the entity; a failed stream starts again from the persisted checkpoint after
 * a backoff, never from where it was in memory. Rules: docs/segments.md "Consumers", docs/kinesis.md.
 */
public final class SegmentShardConsumer extends EventSourcedBehaviorWithEnforcedReplies<SegmentShardConsumer.Command,
    SegmentShardConsumer.Event, SegmentShardConsumer.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "SegmentShardConsumer");
  /** Between the stream and the shard id in the entity id; Kinesis stream names cannot contain it. */
  public static final String ID_SEPARATOR = "|";

  /** Registers the entity with sharding on this node. */
  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY, e -> create(e.getEntityId(), deps)));
  }

  /** The entity id of {@code shardId}'s consumer on {@code stream}. */
  public static String entityId(String stream, String shardId) {
    return stream + ID_SEPARATOR + shardId;
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable
      permits Wake, GetStatus, BatchDone, ParentsChecked, StreamEnded, RestartStream {}

  /**
   * Start reading, unless reading or finished, once every one of {@code parents} (the shard's parents that the
   * stream still lists) is finished. Sent by the discovery at every round; no answer.
   */
  public record Wake(List<String> parents) implements Command {
    public Wake {
      parents = List.copyOf(parents);
    }
  }

  /** Answered with {@link Status}: how a child learns whether its parent is finished. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** {@code checkpoint}: the persisted {@link Checkpoint#marker()}, null before the first batch. */
  public record Status(String shardId, String checkpoint, boolean finished, boolean reading)
      implements CborSerializable {}

  /** The stream: the effects of a batch are done; persist its checkpoint, then answer (the next batch waits). */
  record BatchDone(long incarnation, String lastSequenceNumber, boolean shardEnd, int records, long millisBehind,
                   ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Which of the parents asked for in check {@code attempt} are not finished (or did not answer). */
  record ParentsChecked(long attempt, List<String> unfinished) implements Command {}

  /** Stream {@code incarnation} completed ({@code error} null) or failed. */
  record StreamEnded(long incarnation, String error) implements Command {}

  /** Timer: start stream {@code incarnation}'s successor from the persisted checkpoint. */
  record RestartStream(long incarnation) implements Command {}

  // ---- events: each knows how it changes the state

  public sealed interface Event extends CborSerializable permits CheckpointAdvanced, ShardFinished {
    State applyTo(State state);
  }

  /** Every record up to and including {@code sequenceNumber} has had its effects. */
  public record CheckpointAdvanced(String sequenceNumber) implements Event {
    @Override
    public State applyTo(State s) {
      return s.advance(Checkpoint.after(s.shardId(), sequenceNumber));
    }
  }

  /** The shard is closed and every record of it has had its effects; {@code lastSequenceNumber} may be null. */
  public record ShardFinished(String lastSequenceNumber) implements Event {
    @Override
    public State applyTo(State s) {
      return s.advance(Checkpoint.shardEnd(s.shardId()));
    }
  }

  // ---- state

  /** {@code checkpoint}: {@link Checkpoint#marker()} of the persisted checkpoint, null before the first batch. */
  public record State(String shardId, String checkpoint) implements CborSerializable {
    static State empty(String shardId) {
      return new State(shardId, null);
    }

    public Optional<Checkpoint> position() {
      return Optional.ofNullable(checkpoint).map(m -> Checkpoint.parse(shardId, m));
    }

    public boolean finished() {
      return position().map(Checkpoint::isShardEnd).orElse(false);
    }

    /** Never backwards: {@link Checkpoint#advance}. */
    State advance(Checkpoint newer) {
      return new State(shardId, position().map(c -> c.advance(newer)).orElse(newer).marker());
    }

    boolean isAdvancedBy(Checkpoint newer) {
      return !advance(newer).equals(this);
    }
  }

  // ---- what the entity needs from outside

  /** The shard's batches after a checkpoint (from the oldest record without one): {@code ShardReader::source}. */
  @FunctionalInterface
  public interface ShardSource {
    Source<RecordBatch, NotUsed> source(String shardId, Optional<Checkpoint> from);
  }

  /** The consumers of the same stream's other shards (the parents), by shard id: sharding in the service. */
  @FunctionalInterface
  public interface Peers {
    RecipientRef<Command> of(String shardId);
  }

  /** Passed in, so tests can hand their own reader, sink and peers. */
  public record Dependencies(ShardSource reader, MetadataSink sink, Peers peers, ConsumerSettings settings,
                             Clock clock, SegmentMetrics metrics) {}

  /** Where the shard stream stands in this entity instance (not persisted: a new instance starts idle). */
  private sealed interface Phase permits Idle, CheckingParents, Reading, WaitingRestart {}

  private record Idle() implements Phase {}

  private record CheckingParents(long attempt) implements Phase {}

  /** Stream {@code incarnation} runs; {@code records} it has consumed since {@code since}. */
  private record Reading(long incarnation, UniqueKillSwitch killSwitch, Instant since, AtomicLong records)
      implements Phase {}

  private record WaitingRestart(long incarnation) implements Phase {}

  private static final Logger log = LoggerFactory.getLogger(SegmentShardConsumer.class);
  private static final String RESTART_TIMER = "restart-stream";
  private static final double PERSIST_RESTART_JITTER = 0.2;
  private static final int SNAPSHOTS_KEPT = 2;
  private static final String TRIM_HORIZON = "TRIM_HORIZON";
  private static final double MILLIS_PER_SECOND = 1000.0;

  private final String stream;
  private final String shardId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  private final Materializer materializer;
  private Phase phase = new Idle();
  /** Draws the number of each parent check and stream, so that late answers of an earlier one are recognised. */
  private long incarnations;
  /** Streams failed in a row (the backoff doubles with each); a batch done resets it. */
  private int failuresInRow;

  /** {@code entityId}: {@link #entityId(String, String)}. */
  public static Behavior<Command> create(String entityId, Dependencies deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new SegmentShardConsumer(entityId, ctx, timers, deps)));
  }

  private SegmentShardConsumer(String entityId, ActorContext<Command> ctx, TimerScheduler<Command> timers,
                               Dependencies deps) {
    // A failed persist stops the entity; it starts again after a backoff and recovers from its journal.
    super(PersistenceId.ofUniqueId(TYPE_KEY.name() + ID_SEPARATOR + entityId), SupervisorStrategy.restartWithBackoff(
        deps.settings().minRestartBackoff(), deps.settings().maxRestartBackoff(), PERSIST_RESTART_JITTER));
    int at = entityId.lastIndexOf(ID_SEPARATOR);
    if (at <= 0 || at == entityId.length() - 1) {
      throw new IllegalArgumentException("a consumer's entity id is <stream>" + ID_SEPARATOR + "<shardId>, not "
          + entityId);
    }
    this.stream = entityId.substring(0, at);
    this.shardId = entityId.substring(at + 1);
    this.ctx = ctx;
    this.timers = timers;
    this.deps = deps;
    this.materializer = Materializer.matFromSystem(ctx.getSystem());
  }

  @Override
  public State emptyState() {
    return State.empty(shardId);
  }

  // ---- command handlers, by state: consuming, then finished

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forState(s -> !s.finished())
        .onCommand(Wake.class, this::wake)
        .onCommand(GetStatus.class, this::status)
        .onCommand(BatchDone.class, this::batchDone)
        .onCommand(ParentsChecked.class, this::parentsChecked)
        .onCommand(StreamEnded.class, this::streamEnded)
        .onCommand(RestartStream.class, this::restartStream);
    b.forState(State::finished)
        .onCommand(Wake.class, (s, w) -> Effect().noReply()) // nothing left to read
        .onCommand(GetStatus.class, this::status)
        .onCommand(BatchDone.class, (s, d) -> Effect().reply(d.replyTo(), StatusReply.ack())) // a late repeat
        .onCommand(ParentsChecked.class, (s, c) -> Effect().noReply())
        .onCommand(StreamEnded.class, (s, e) -> {
          if (phase instanceof Reading r && r.incarnation() == e.incarnation()) phase = new Idle();
          return Effect().noReply();
        })
        .onCommand(RestartStream.class, (s, r) -> Effect().noReply());
    return b.build();
  }

  private ReplyEffect<Event, State> status(State s, GetStatus get) {
    return Effect().reply(get.replyTo(), new Status(shardId, s.checkpoint(), s.finished(), phase instanceof Reading));
  }

  private ReplyEffect<Event, State> wake(State s, Wake w) {
    if (phase instanceof Idle) checkParents(s, w.parents());
    return Effect().noReply();
  }

  /** Starts the stream when every parent is finished; asks them first when there are any. */
  private void checkParents(State s, List<String> parents) {
    if (parents.isEmpty()) {
      startStream(s);
      return;
    }
    long attempt = ++incarnations;
    phase = new CheckingParents(attempt);
    List<CompletableFuture<Optional<String>>> asks = new ArrayList<>(parents.size());
    for (String parent : parents) {
      asks.add(AskPattern.<Command, Status>ask(deps.peers().of(parent), GetStatus::new, deps.settings().askTimeout(),
              ctx.getSystem().scheduler())
          .handle((status, error) -> error == null && status.finished() ? Optional.<String>empty() : Optional.of(parent))
          .toCompletableFuture());
    }
    CompletableFuture<List<String>> unfinished = CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenApply(v -> asks.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList());
    ctx.pipeToSelf(unfinished, (list, error) -> new ParentsChecked(attempt, error == null ? list : parents));
  }

  private ReplyEffect<Event, State> parentsChecked(State s, ParentsChecked c) {
    if (!(phase instanceof CheckingParents p && p.attempt() == c.attempt())) return Effect().noReply(); // stale
    if (c.unfinished().isEmpty()) {
      startStream(s);
    } else {
      ctx.getLog().debug("shard {} of {}: waiting for parent shard(s) {} to finish", shardId, stream, c.unfinished());
      phase = new Idle(); // the next wake asks again
    }
    return Effect().noReply();
  }

  /** Runs the shard from the persisted checkpoint: effects, then checkpoint, batch after batch. */
  private void startStream(State s) {
    long incarnation = ++incarnations;
    Optional<Checkpoint> from = s.position();
    ctx.getLog().info("shard {} of {}: reading after {}", shardId, stream, from.map(Checkpoint::marker).orElse(TRIM_HORIZON));
    ActorRef<Command> self = ctx.getSelf();
    ConsumerSettings settings = deps.settings();
    AtomicLong records = new AtomicLong();
    Pair<UniqueKillSwitch, CompletionStage<Done>> running;
    try {
      running = deps.reader().source(shardId, from)
          .viaMat(KillSwitches.single(), Keep.right())
          .mapAsync(1, batch -> BatchEffects.apply(batch, deps.sink(), settings.effectParallelism(), materializer, log)
              .thenCompose(outcome -> {
                records.addAndGet(batch.records().size());
                return AskPattern.askWithStatus(self, (ActorRef<StatusReply<Done>> reply) -> new BatchDone(incarnation,
                    batch.lastSequenceNumber().orElse(null), batch.shardEnd(), batch.records().size(),
                    batch.millisBehindLatest(), reply),
                    settings.askTimeout(), ctx.getSystem().scheduler());
              }))
          .toMat(Sink.ignore(), Keep.both())
          .run(materializer);
    } catch (RuntimeException e) { // the reader refused to start: treated as a failed stream (no kill switch)
      phase = new Reading(incarnation, null, deps.clock().instant(), records);
      ctx.getSelf().tell(new StreamEnded(incarnation, e.toString()));
      return;
    }
    phase = new Reading(incarnation, running.first(), deps.clock().instant(), records);
    ctx.pipeToSelf(running.second(), (done, error) -> new StreamEnded(incarnation, error == null ? null : error.toString()));
  }

  private ReplyEffect<Event, State> batchDone(State s, BatchDone d) {
    if (!(phase instanceof Reading r && r.incarnation() == d.incarnation())) {
      return Effect().reply(d.replyTo(), StatusReply.error("stream " + d.incarnation() + " of shard " + shardId
          + " is not the current one"));
    }
    failuresInRow = 0;
    if (d.shardEnd()) {
      return Effect().persist(new ShardFinished(d.lastSequenceNumber()))
          .thenRun(next -> {
            deps.metrics().checkpointed(shardId, d.records(), d.millisBehind());
            deps.metrics().released(shardId);
            logFinished(r, d);
          })
          .thenReply(d.replyTo(), next -> StatusReply.ack());
    }
    if (d.lastSequenceNumber() == null || !s.isAdvancedBy(Checkpoint.after(shardId, d.lastSequenceNumber()))) {
      deps.metrics().checkpointed(shardId, d.records(), d.millisBehind()); // already covered by the checkpoint
      return Effect().reply(d.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new CheckpointAdvanced(d.lastSequenceNumber()))
        .thenRun(next -> deps.metrics().checkpointed(shardId, d.records(), d.millisBehind()))
        .thenRun(next -> ctx.getLog().debug("shard {} of {}: {} records done, checkpoint after sequence {}", shardId,
            stream, d.records(), d.lastSequenceNumber()))
        .thenReply(d.replyTo(), next -> StatusReply.ack());
  }

  private void logFinished(Reading r, BatchDone last) {
    long millis = Math.max(1, Duration.between(r.since(), deps.clock().instant()).toMillis());
    long records = r.records().get();
    ctx.getLog().info("shard {} of {}: finished (SHARD_END after sequence {}); {} records in {} ms by this stream, "
            + "{} records/s", shardId, stream, last.lastSequenceNumber(), records, millis,
        Math.round(records * MILLIS_PER_SECOND / millis));
  }

  private ReplyEffect<Event, State> streamEnded(State s, StreamEnded e) {
    if (!(phase instanceof Reading r && r.incarnation() == e.incarnation())) return Effect().noReply(); // stale
    failuresInRow++;
    Duration backoff = deps.settings().restartBackoff(failuresInRow);
    ctx.getLog().warn("shard {} of {}: stream ended before SHARD_END ({}); {} failure(s) in a row, reading again after "
            + "checkpoint {} in {}", shardId, stream, e.error() == null ? "completed" : e.error(), failuresInRow,
        s.position().map(Checkpoint::marker).orElse(TRIM_HORIZON), backoff);
    phase = new WaitingRestart(e.incarnation());
    timers.startSingleTimer(RESTART_TIMER, new RestartStream(e.incarnation()), backoff);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> restartStream(State s, RestartStream r) {
    // The parents were finished before the stream first started, and finished shards stay finished.
    if (phase instanceof WaitingRestart w && w.incarnation() == r.incarnation()) startStream(s);
    return Effect().noReply();
  }

  private void stopStream() {
    if (phase instanceof Reading r && r.killSwitch() != null) r.killSwitch().shutdown();
    phase = new Idle();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> event.applyTo(state));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          // A checkpoint means the stream ran before, so its parents were finished: resume at once.
          if (!state.finished() && state.position().isPresent()) startStream(state);
        })
        .onSignal(PostStop.instance(), state -> {
          stopStream();
          deps.metrics().released(shardId);
        })
        .onSignal(PreRestart.instance(), state -> stopStream())
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.settings().snapshotEvery(), SNAPSHOTS_KEPT);
  }
}
