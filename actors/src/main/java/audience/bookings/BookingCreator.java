package audience.bookings;

import audience.CborSerializable;
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
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The booking creator: one entity in the cluster (entity key {@code BookingCreator}, id {@link #ID}), so two nodes
 * never run a slot twice. At each slot of its {@link CreatorSchedule} (and at once for a slot missed while the
 * service was down: the latest one, once) it persists {@link SlotStarted}, asks every requested booking's segment
 * entity to write its audience ({@link SegmentBooking.Generate}: idempotent), and persists {@link SlotCompleted};
 * a slot started and not completed (a crash) is run again. {@link RunNow} does the same on demand, unrecorded.
 */
public final class BookingCreator extends EventSourcedBehaviorWithEnforcedReplies<BookingCreator.Command,
    BookingCreator.Event, BookingCreator.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "BookingCreator");
  public static final String ID = "creator";
  private static final Logger log = LoggerFactory.getLogger(BookingCreator.class);
  private static final String TICK = "tick";
  private static final double PERSIST_RESTART_JITTER = 0.2;

  /** Registers the entity with sharding on this node. */
  public static void init(ActorSystem<?> system, Dependencies deps) {
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY, e -> create(deps)));
  }

  /** A booking waiting for its audience. */
  public record BookingRef(String segmentId, String bookingId) implements CborSerializable {}

  /** The requested bookings (from the read model). */
  @FunctionalInterface
  public interface DueBookings {
    CompletionStage<List<BookingRef>> requested();
  }

  public record Dependencies(CreatorSchedule schedule, DueBookings due, Consumer<BookingRef> generate,
                             Duration retryBackoff, Clock clock) {}

  // ---- protocol

  public sealed interface Command extends CborSerializable permits Wake, RunNow, Listed {}

  /** At start, at each slot, and periodically: run the due slot, if any. */
  public record Wake() implements Command {}

  /** Run now, whatever the schedule; answers how many bookings were asked to generate. */
  public record RunNow(ActorRef<StatusReply<Run>> replyTo) implements Command {}

  public record Run(Instant slot, int bookings) implements CborSerializable {}

  /** The requested bookings were read, for {@code slot} (null: on demand). */
  record Listed(Instant slot, List<BookingRef> bookings, String error, ActorRef<StatusReply<Run>> replyTo)
      implements Command {}

  // ---- events and state

  public sealed interface Event extends CborSerializable permits SlotStarted, SlotCompleted {
    State applyTo(State state);
  }

  public record SlotStarted(Instant slot, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(slot, s.lastCompleted());
    }
  }

  public record SlotCompleted(Instant slot, int bookings, Instant at) implements Event {
    @Override
    public State applyTo(State s) {
      return new State(s.lastStarted(), slot);
    }
  }

  /** The last slot started and the last completed (null: none yet). */
  public record State(Instant lastStarted, Instant lastCompleted) implements CborSerializable {
    static final State NONE = new State(null, null);

    boolean interrupted() {
      return lastStarted != null && (lastCompleted == null || lastCompleted.isBefore(lastStarted));
    }
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  private boolean running;

  public static Behavior<Command> create(Dependencies deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new BookingCreator(ctx, timers, deps)));
  }

  private BookingCreator(ActorContext<Command> ctx, TimerScheduler<Command> timers, Dependencies deps) {
    super(PersistenceId.of(TYPE_KEY.name(), ID), SupervisorStrategy.restartWithBackoff(deps.retryBackoff(),
        deps.retryBackoff().multipliedBy(10), PERSIST_RESTART_JITTER));
    this.ctx = ctx;
    this.timers = timers;
    this.deps = deps;
  }

  @Override
  public State emptyState() {
    return State.NONE;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forAnyState()
        .onCommand(Wake.class, this::wake)
        .onCommand(RunNow.class, (s, c) -> {
          list(null, c.replyTo());
          return Effect().noReply();
        })
        .onCommand(Listed.class, this::listed);
    return b.build();
  }

  private ReplyEffect<Event, State> wake(State state, Wake wake) {
    Instant now = deps.clock().instant();
    timers.startSingleTimer(TICK, new Wake(), Duration.between(now, deps.schedule().nextSlot(now)));
    if (running) return Effect().noReply();
    if (state.interrupted()) {
      list(state.lastStarted(), null);
      return Effect().noReply();
    }
    return deps.schedule().due(state.lastStarted(), now)
        .<ReplyEffect<Event, State>>map(slot -> Effect().persist(new SlotStarted(slot, now)).thenRun(s -> {
          log.info("booking creator: slot {} started", slot);
          list(slot, null);
        }).thenNoReply())
        .orElseGet(() -> Effect().noReply());
  }

  private void list(Instant slot, ActorRef<StatusReply<Run>> replyTo) {
    if (slot != null) running = true;
    ctx.pipeToSelf(deps.due().requested(), (refs, error) ->
        new Listed(slot, error == null ? refs : List.of(), error == null ? null : error.toString(), replyTo));
  }

  private ReplyEffect<Event, State> listed(State state, Listed listed) {
    if (listed.error() != null) {
      running = false;
      log.warn("booking creator: the bookings read model did not answer ({}); trying again in {}", listed.error(),
          deps.retryBackoff());
      if (listed.replyTo() != null) {
        return Effect().reply(listed.replyTo(), StatusReply.error("the bookings read model did not answer: "
            + listed.error()));
      }
      timers.startSingleTimer(TICK, new Wake(), deps.retryBackoff());
      return Effect().noReply();
    }
    listed.bookings().forEach(deps.generate());
    int n = listed.bookings().size();
    log.info("booking creator: {} requested bookings asked to write their audience ({})", n,
        listed.slot() == null ? "on demand" : "slot " + listed.slot());
    if (listed.slot() == null) {
      return Effect().reply(listed.replyTo(), StatusReply.success(new Run(null, n)));
    }
    return Effect().persist(new SlotCompleted(listed.slot(), n, deps.clock().instant()))
        .thenRun(s -> running = false).thenNoReply();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> event.applyTo(state));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          running = false;
          ctx.getSelf().tell(new Wake());
        })
        .build();
  }
}
