package audience.segments;

import audience.CborSerializable;
import audience.config.Settings.SegmentSettings;
import audience.ingestion.IngestionDone;
import audience.kinesis.KinesisPublisher;
import audience.store.MemberStore;
import audience.store.SegmentStore;
import audience.store.SegmentStore.GenerationRow;
import audience.store.SegmentStore.SegmentRow;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
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
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The segment generation of one ingestion run (entity key and persistence id {@code SegmentGenerator}, entity id =
 * the run id), an outbox in three steps:
 * <ol>
 *   <li>{@link GenerationRequested} (on the run's done event): one parallel scan of the current members, aggregated
 *       in bounded memory, and one Kinesis record per interesting segment (partition key = segment id, data = its
 *       metadata JSON), tagged with the generation id derived from the run;</li>
 *   <li>{@link SegmentsPublished}: the shard consumers write each segment's metadata to S3 and its row to the
 *       segments read model; the generator polls the read model until every published segment is there with the
 *       published checksum;</li>
 *   <li>{@link ManifestWritten}: {@code manifest/<generation>.json}, then {@code manifest/latest.json} (unless a
 *       newer run's generation is already latest), then the previous latest generation retired.</li>
 * </ol>
 * Every step is redone after a crash from the last persisted one (the scan and the publication again: records may
 * come twice, the consumers' effects are idempotent), and a failed step is retried after a backoff. The data time,
 * generation id and generation time are fixed by the first event, so a regeneration of the same run over the same
 * members writes the same bytes.
 */
public final class SegmentGenerator extends EventSourcedBehaviorWithEnforcedReplies<SegmentGenerator.Command,
    SegmentGenerator.Event, SegmentGenerator.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "SegmentGenerator");
  private static final Logger log = LoggerFactory.getLogger(SegmentGenerator.class);
  private static final String STEP_TIMER = "step";
  private static final String ROW_TIMER = "row";
  private static final double PERSIST_RESTART_JITTER = 0.2;

  /** Registers the entity with sharding on this node. */
  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY, e -> create(e.getEntityId(), deps)));
  }

  /** Where a generation stands. */
  public enum Phase {
    NEW, SCANNING, PUBLISHED, COMPLETED;

    @com.fasterxml.jackson.annotation.JsonValue
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public static Phase fromWire(String wire) {
      return valueOf(wire.toUpperCase(java.util.Locale.ROOT));
    }
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable
      permits Generate, Regenerate, GetStatus, Wake, Scanned, StepFailed, Check, Checked, ManifestDone, RowWritten, WriteRow {}

  /** The run is done: generate its segments (once; a repeat is answered with the generation as it stands). */
  public record Generate(IngestionDone done, ActorRef<StatusReply<View>> replyTo) implements Command {}

  /** An operator asks for the run's generation again (same generation id: it overwrites what it wrote). */
  public record Regenerate(ActorRef<StatusReply<View>> replyTo) implements Command {}

  public record GetStatus(ActorRef<View> replyTo) implements Command {}

  /** Sent to unfinished generations after a restart and periodically: recovery alone resumes them. */
  public record Wake() implements Command {}

  /** The scan and the publication are done: {@code expected} segment id to metadata checksum. */
  record Scanned(Map<String, String> expected, long members, long published, long scanMs, long publishMs)
      implements Command {}

  record StepFailed(String step, String error) implements Command {}

  /** Timer: is every published segment's metadata written yet? */
  record Check() implements Command {}

  record Checked(List<SegmentRow> rows, boolean complete) implements Command {}

  record ManifestDone(String manifestKey, boolean latest, String retired) implements Command {}

  /** The generation row was written ({@code error} null) or not: then it is written again after a backoff. */
  record RowWritten(String error) implements Command {}

  /** Timer: write the generation row again (the last write failed). */
  record WriteRow() implements Command {}

  /**
   * A generation as operators see it; {@code runId} null for no generation. {@code doneToManifestMs}: from the run's
   * completion to its manifest, -1 until the manifest is written.
   */
  public record View(String runId, String generationId, Phase phase, long segments, String manifestKey,
                     boolean latest, Instant dataTime, Instant requestedAt, Instant publishedAt, Instant manifestAt,
                     Instant sourceCompletedAt, long doneToManifestMs, Timings timings, String lastError)
      implements CborSerializable {}

  /**
   * Where the time of the last scan went: {@code members} scanned in {@code scanMs}, the segments put on Kinesis in
   * {@code publishMs}, their metadata written by the consumers in {@code metadataMs} (from publication to manifest).
   */
  public record Timings(long members, long scanMs, long publishMs, long metadataMs) implements CborSerializable {
    static final Timings NONE = new Timings(0, -1, -1, -1);
  }

  // ---- events

  public sealed interface Event extends CborSerializable
      permits GenerationRequested, RegenerationRequested, SegmentsPublished, ManifestWritten {
    State applyTo(State state);
  }

  public record GenerationRequested(String runId, String generationId, Instant dataTime, Instant generatedAt,
                                    Instant sourceCompletedAt, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(this, Phase.SCANNING, 0, at, null, null, "", false, Timings.NONE);
    }
  }

  public record RegenerationRequested(Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.request(), Phase.SCANNING, 0, at, null, null, "", false, Timings.NONE);
    }
  }

  public record SegmentsPublished(long segments, long members, long scanMs, long publishMs, Instant at)
      implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.request(), Phase.PUBLISHED, segments, s.requestedAt(), at, null, "", false,
          new Timings(members, scanMs, publishMs, -1));
    }
  }

  /** {@code retired}: the generation that was latest before (empty when none or when this one is not latest). */
  public record ManifestWritten(String manifestKey, boolean latest, String retired, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.request(), Phase.COMPLETED, s.segments(), s.requestedAt(), s.publishedAt(), at,
          manifestKey, latest, new Timings(s.timings().members(), s.timings().scanMs(), s.timings().publishMs(),
          s.publishedAt() == null ? -1 : Duration.between(s.publishedAt(), at).toMillis()));
    }
  }

  /** {@code request} is null while {@link Phase#NEW}. */
  public record State(GenerationRequested request, Phase phase, long segments, Instant requestedAt,
                      Instant publishedAt, Instant manifestAt, String manifestKey, boolean latest, Timings timings)
      implements CborSerializable {
    static final State EMPTY = new State(null, Phase.NEW, 0, null, null, null, "", false, Timings.NONE);
  }

  /** What the generator needs from outside, passed in. */
  public record Dependencies(MemberStore members, SegmentStore store, KinesisPublisher publisher,
                             ManifestStore manifests, SegmentSettings settings, Clock clock, SegmentMetrics metrics) {}

  private final String runId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  private final SegmentRules rules;
  /** Transient: what this instance published (segment id to checksum); null until its scan is done. */
  private Map<String, String> expected;
  /** Transient: a scan and publication of this instance is under way (a wake must not start a second). */
  private boolean scanning;
  private String lastError = "";

  public static Behavior<Command> create(String runId, Dependencies deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new SegmentGenerator(runId, ctx, timers, deps)));
  }

  private SegmentGenerator(String runId, ActorContext<Command> ctx, TimerScheduler<Command> timers,
                           Dependencies deps) {
    super(PersistenceId.of(TYPE_KEY.name(), runId), SupervisorStrategy.restartWithBackoff(
        deps.settings().generator().retryBackoff(), deps.settings().generator().retryBackoff().multipliedBy(10),
        PERSIST_RESTART_JITTER));
    this.runId = runId;
    this.ctx = ctx;
    this.timers = timers;
    this.deps = deps;
    this.rules = SegmentRules.from(deps.settings());
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  // ---- command handlers, by phase

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forState(s -> s.phase() == Phase.NEW)
        .onCommand(Generate.class, this::generate)
        .onCommand(Regenerate.class, (s, c) -> Effect().reply(c.replyTo(),
            StatusReply.error("run " + runId + " has no segment generation (is it completed?)")))
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), view(s)))
        .onCommand(Wake.class, (s, c) -> Effect().noReply())
        .onCommand(Scanned.class, (s, c) -> Effect().noReply())
        .onCommand(StepFailed.class, (s, c) -> Effect().noReply())
        .onCommand(Check.class, (s, c) -> Effect().noReply())
        .onCommand(Checked.class, (s, c) -> Effect().noReply())
        .onCommand(ManifestDone.class, (s, c) -> Effect().noReply());
    b.forState(s -> s.phase() == Phase.SCANNING || s.phase() == Phase.PUBLISHED)
        .onCommand(Generate.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(view(s))))
        .onCommand(Regenerate.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(view(s))))
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), view(s)))
        .onCommand(Wake.class, (s, c) -> {
          resume(s);
          return Effect().noReply();
        })
        .onCommand(Scanned.class, this::scanned)
        .onCommand(StepFailed.class, this::stepFailed)
        .onCommand(Check.class, (s, c) -> {
          check(s);
          return Effect().noReply();
        })
        .onCommand(Checked.class, this::checked)
        .onCommand(ManifestDone.class, this::manifestDone);
    b.forState(s -> s.phase() == Phase.COMPLETED)
        .onCommand(Generate.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(view(s))))
        .onCommand(Regenerate.class, this::regenerate)
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), view(s)))
        .onCommand(Wake.class, (s, c) -> Effect().noReply())
        .onCommand(Scanned.class, (s, c) -> Effect().noReply())
        .onCommand(StepFailed.class, (s, c) -> Effect().noReply())
        .onCommand(Check.class, (s, c) -> Effect().noReply())
        .onCommand(Checked.class, (s, c) -> Effect().noReply())
        .onCommand(ManifestDone.class, (s, c) -> Effect().noReply());
    b.forAnyState().onCommand(RowWritten.class, (s, c) -> {
      if (c.error() != null) {
        Duration backoff = deps.settings().generator().retryBackoff();
        log.warn("segments of run {}: generation row not written, writing it again in {}: {}", runId, backoff,
            c.error());
        timers.startSingleTimer(ROW_TIMER, new WriteRow(), backoff);
      }
      return Effect().noReply();
    }).onCommand(WriteRow.class, (s, c) -> {
      if (s.request() != null) recordPhase(s);
      return Effect().noReply();
    });
    return b.build();
  }

  private ReplyEffect<Event, State> generate(State state, Generate g) {
    IngestionDone d = g.done();
    Instant now = deps.clock().instant();
    // the window ends at the data's own time (newest lastActive), or at completion for a run without one
    Instant dataTime = d.dataTime() != null ? d.dataTime() : d.completedAt();
    GenerationRequested requested = new GenerationRequested(runId, GenerationId.of(runId).value(), dataTime, now,
        d.completedAt(), now);
    return Effect().persist(requested).thenRun(s -> {
      log.info("segments of run {}: generation {} requested (data time {})", runId, requested.generationId(),
          dataTime);
      recordPhase(s);
      resume(s);
    }).thenReply(g.replyTo(), s -> StatusReply.success(view(s)));
  }

  private ReplyEffect<Event, State> regenerate(State state, Regenerate r) {
    return Effect().persist(new RegenerationRequested(deps.clock().instant())).thenRun(s -> {
      log.info("segments of run {}: generation {} requested again", runId, s.request().generationId());
      expected = null;
      recordPhase(s);
      resume(s);
    }).thenReply(r.replyTo(), s -> StatusReply.success(view(s)));
  }

  // ---- steps

  /** Goes on from where the journal says: scan and publish (again) unless this instance did, then check. */
  private void resume(State s) {
    if (scanning) return;
    if (expected == null) scanAndPublish(s);
    else check(s);
  }

  private void scanAndPublish(State s) {
    scanning = true;
    GenerationRequested r = s.request();
    ActivityWindow window = ActivityWindow.ending(r.dataTime(), rules.activityWindow());
    ScanAggregation aggregation = new ScanAggregation(rules, window);
    GenerationId generation = new GenerationId(r.generationId());
    long started = System.nanoTime();
    CompletionStage<Scanned> done = deps.members().scanCurrent(MemberRow.PROJECTION, MemberRow.PROJECTION_NAMES,
        deps.settings().scanSegments(), aggregation).thenCompose(v -> {
          SegmentAggregator all = aggregation.result();
          List<SegmentAggregate> interesting = Segments.interesting(all.aggregates(), rules);
          Map<String, String> checksums = new HashMap<>();
          List<KinesisPublisher.Entry> entries = new java.util.ArrayList<>(interesting.size());
          for (SegmentAggregate a : interesting) {
            byte[] json = SegmentMetadata.of(a, rules, window, generation, runId, r.generatedAt()).toJson();
            checksums.put(a.id(), SegmentMetadata.checksum(json));
            entries.add(new KinesisPublisher.Entry(a.id(), json));
          }
          long rows = all.tally().rows();
          long scanned = System.nanoTime();
          return deps.publisher().publish(entries)
              .thenApply(p -> new Scanned(Map.copyOf(checksums), rows, entries.size(), millis(scanned - started),
                  millis(System.nanoTime() - scanned)));
        });
    ctx.pipeToSelf(done, (scanned, error) -> error != null ? new StepFailed("scan and publish", String.valueOf(error))
        : scanned);
  }

  private ReplyEffect<Event, State> scanned(State state, Scanned scanned) {
    scanning = false;
    expected = scanned.expected();
    lastError = "";
    deps.metrics().published(scanned.published());
    log.info("segments of run {}: {} members scanned in {} ms, {} interesting segments published to Kinesis in {} ms",
        runId, scanned.members(), scanned.scanMs(), scanned.published(), scanned.publishMs());
    if (state.phase() == Phase.PUBLISHED && state.segments() == expected.size()) {
      check(state);
      return Effect().noReply();
    }
    return Effect().persist(new SegmentsPublished(expected.size(), scanned.members(), scanned.scanMs(),
            scanned.publishMs(), deps.clock().instant()))
        .thenRun(s -> {
          recordPhase(s);
          check(s);
        }).thenNoReply();
  }

  private ReplyEffect<Event, State> stepFailed(State state, StepFailed failed) {
    scanning = false;
    lastError = failed.step() + ": " + failed.error();
    Duration backoff = deps.settings().generator().retryBackoff();
    log.warn("segments of run {}: {} failed, trying again in {}: {}", runId, failed.step(), backoff, failed.error());
    timers.startSingleTimer(STEP_TIMER, new Wake(), backoff);
    return Effect().noReply();
  }

  /** Reads the generation's rows; complete when every published segment is there with the published checksum. */
  private void check(State s) {
    if (expected == null) return;
    String generation = s.request().generationId();
    CompletionStage<Checked> rows = deps.store().count(generation).thenCompose(n -> n < expected.size()
        ? CompletableFuture.completedFuture(new Checked(List.of(), false))
        : deps.store().list(generation, SegmentStore.Filter.ALL).thenApply(all -> {
          List<SegmentRow> mine = all.stream()
              .filter(r -> r.checksum().equals(expected.get(r.segmentId()))).toList();
          return new Checked(mine, mine.size() == expected.size());
        }));
    ctx.pipeToSelf(rows, (checked, error) -> error != null ? new StepFailed("check", String.valueOf(error)) : checked);
  }

  private ReplyEffect<Event, State> checked(State state, Checked checked) {
    if (!checked.complete()) {
      timers.startSingleTimer(STEP_TIMER, new Check(), deps.settings().generator().pollInterval());
      return Effect().noReply();
    }
    GenerationRequested r = state.request();
    Manifest manifest = Manifest.of(r.generationId(), runId, r.dataTime(), r.generatedAt(), r.sourceCompletedAt(),
        checked.rows());
    Map<String, String> mine = expected;
    ctx.pipeToSelf(deps.manifests().publish(manifest).thenCompose(latest -> retireOthers(r.generationId(), mine,
            latest).thenApply(retired -> new ManifestDone(Manifest.key(r.generationId()), latest.replaced(), retired))),
        (done, error) -> error != null ? new StepFailed("manifest", String.valueOf(error)) : done);
    return Effect().noReply();
  }

  /**
   * After the manifest: rows of this generation that it does not list (left by an earlier scan of a regenerated run)
   * are retired, and so is the generation this one replaced as latest, or this one when a newer one is latest.
   */
  private CompletionStage<String> retireOthers(String generation, Map<String, String> mine,
                                               ManifestStore.Latest latest) {
    CompletionStage<Void> stale = deps.store().list(generation, SegmentStore.Filter.ALL).thenCompose(rows -> {
      CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
      for (SegmentRow row : rows) {
        if (!mine.containsKey(row.segmentId())) {
          chain = chain.thenCompose(v -> deps.store().retireOne(generation, row.segmentId()));
        }
      }
      return chain;
    });
    String toRetire = latest.replaced() ? latest.previous() : generation;
    if (toRetire == null || toRetire.isEmpty() || (latest.replaced() && toRetire.equals(generation))) {
      return stale.thenApply(v -> "");
    }
    return stale.thenCompose(v -> deps.store().retire(toRetire)).thenApply(n -> toRetire);
  }

  private ReplyEffect<Event, State> manifestDone(State state, ManifestDone done) {
    return Effect().persist(new ManifestWritten(done.manifestKey(), done.latest(), done.retired(),
        deps.clock().instant())).thenRun(s -> {
          lastError = "";
          if (s.requestedAt() != null) deps.metrics().generated(Duration.between(s.requestedAt(), s.manifestAt()));
          log.info("segments of run {}: manifest {} written ({} segments){}{}; {} ms after the done event", runId,
              done.manifestKey(), s.segments(), done.latest() ? ", now latest" : ", a newer generation is latest",
              done.retired().isEmpty() ? "" : ", retired " + done.retired(), view(s).doneToManifestMs());
          recordPhase(s);
        }).thenNoReply();
  }

  private static long millis(long nanos) {
    return java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /**
   * The generation's row, written until it succeeds: every node wakes unfinished generations from these rows, so a
   * lost write would leave a generation interrupted by a crash asleep for good.
   */
  private void recordPhase(State s) {
    ctx.pipeToSelf(deps.store().putGeneration(new GenerationRow(s.request().generationId(), runId, s.phase().wire(),
            s.segments(), s.manifestKey(), deps.clock().instant())),
        (ok, error) -> new RowWritten(error == null ? null : error.toString()));
  }

  private View view(State s) {
    GenerationRequested r = s.request();
    if (r == null) {
      return new View(null, null, Phase.NEW, 0, "", false, null, null, null, null, null, -1, Timings.NONE, "");
    }
    long doneToManifest = s.manifestAt() == null || r.sourceCompletedAt() == null ? -1
        : Duration.between(r.sourceCompletedAt(), s.manifestAt()).toMillis();
    return new View(runId, r.generationId(), s.phase(), s.segments(), s.manifestKey(), s.latest(), r.dataTime(),
        s.requestedAt(), s.publishedAt(), s.manifestAt(), r.sourceCompletedAt(), doneToManifest, s.timings(),
        lastError);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> event.applyTo(state));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          expected = null;
          scanning = false;
          if (state.phase() == Phase.SCANNING || state.phase() == Phase.PUBLISHED) {
            log.info("segments of run {} recovered {}: scanning and publishing again", runId, state.phase().wire());
            ctx.getSelf().tell(new Wake());
          }
        })
        .build();
  }
}
