package audience.graphql.ws;

import audience.config.Settings;
import audience.graphql.ApiException;
import audience.graphql.ErrorCode;
import audience.graphql.GraphQlApi;
import audience.graphql.GraphQlRoutes;
import audience.auth.TokenVerifier;
import audience.graphql.ws.GraphQlWsProtocol.Action;
import audience.graphql.ws.GraphQlWsProtocol.Event;
import audience.graphql.ws.GraphQlWsProtocol.State;
import audience.http.JsonSupport;
import com.fasterxml.jackson.databind.ObjectMapper;
import graphql.ExecutionResult;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * One graphql-transport-ws connection at run time: feeds every event (a client message, a timer, an operation's
 * output, the socket's end) through {@link GraphQlWsProtocol#step} one at a time, and does what it answers: sends,
 * closes with the code, runs operations through {@link GraphQlApi} and stops them. A subscription's results come from
 * its {@code Publisher}, one requested at a time; a query or mutation answers one {@code next} and {@code complete}.
 * Nothing of the token or the caller is logged.
 */
final class GraphQlSocket {
  private static final Logger log = LoggerFactory.getLogger(GraphQlSocket.class);
  private static final String ERRORS = "errors";

  private final GraphQlApi api;
  private final Settings.SubscriptionSettings settings;
  private final Duration timeout;
  private final Function<Map<String, Object>, TokenVerifier.Result> authenticate;
  private final BoundedSourceQueue<WebSocketFrames.Outbound> out;
  private final Materializer materializer;
  private final ObjectMapper json = JsonSupport.mapper();
  private final List<Cancellable> timers = new ArrayList<>();
  /** The running operations by id, each with the token of its start (an id may be used again once it ended). */
  private final Map<String, Running> running = new HashMap<>();
  private State state = State.initial();
  /** Whether the handler's output is completed (once, when the connection closed). */
  private boolean ended;
  private long starts;

  private static final class Running {
    final long token;
    Subscription subscription;

    Running(long token) {
      this.token = token;
    }
  }

  private GraphQlSocket(GraphQlApi api, Settings.ApiSettings settings,
                        Function<Map<String, Object>, TokenVerifier.Result> authenticate,
                        BoundedSourceQueue<WebSocketFrames.Outbound> out, Materializer materializer) {
    this.api = api;
    this.settings = settings.subscriptions();
    this.timeout = settings.limits().timeout();
    this.authenticate = authenticate;
    this.out = out;
    this.materializer = materializer;
  }

  /**
   * The message handler of a new connection: the client's messages in, the server's out. Its timers (the
   * connection_init timeout, the keep-alive ping) start now.
   */
  static Flow<WebSocketFrames.Inbound, WebSocketFrames.Outbound, ?> handler(
      GraphQlApi api, Settings.ApiSettings settings, Function<Map<String, Object>, TokenVerifier.Result> authenticate,
      ActorSystem system, Materializer materializer) {
    // one slot more than the buffer: the close that tells a slow client why always fits
    var source = Source.<WebSocketFrames.Outbound>queue(settings.subscriptions().sendBuffer() + 1)
        .preMaterialize(materializer);
    GraphQlSocket socket = new GraphQlSocket(api, settings, authenticate, source.first(), materializer);
    Settings.SubscriptionSettings s = settings.subscriptions();
    socket.timers.add(system.scheduler().scheduleOnce(s.connectionInitTimeout(),
        () -> socket.on(new GraphQlWsProtocol.InitTimedOut()), system.dispatcher()));
    socket.timers.add(system.scheduler().scheduleWithFixedDelay(s.keepAlive(), s.keepAlive(),
        () -> socket.on(new GraphQlWsProtocol.KeepAliveDue()), system.dispatcher()));
    Sink<WebSocketFrames.Inbound, ?> in = Sink.<WebSocketFrames.Inbound>foreach(socket::onInbound)
        .mapMaterializedValue(done -> done.whenComplete((d, e) -> socket.on(new GraphQlWsProtocol.PeerClosed())));
    return Flow.fromSinkAndSourceCoupled(in, source.second());
  }

  private void onInbound(WebSocketFrames.Inbound in) {
    if (in instanceof WebSocketFrames.Text t) {
      Messages.Parsed p = Messages.parse(json, t.text());
      if (p instanceof Messages.Valid v) {
        on(new GraphQlWsProtocol.Received(v.message()));
      } else if (p instanceof Messages.Invalid i) {
        on(new GraphQlWsProtocol.Unreadable(i.reason()));
      } else {
        throw new IllegalStateException("unknown parse result " + p);
      }
    } else if (in instanceof WebSocketFrames.Binary) {
      on(new GraphQlWsProtocol.Unreadable("Invalid message received: binary messages are not part of the protocol"));
    } else if (in instanceof WebSocketFrames.Oversized o) {
      on(new GraphQlWsProtocol.Oversized(o.limit()));
    } else if (in instanceof WebSocketFrames.Closed) {
      on(new GraphQlWsProtocol.PeerClosed());
    } else {
      throw new IllegalStateException("unknown inbound " + in);
    }
  }

  /** Steps the protocol with one event and does what it answers; events are handled one at a time. */
  synchronized void on(Event event) {
    GraphQlWsProtocol.Step step = GraphQlWsProtocol.step(state, event, authenticate, settings.maxPerConnection());
    state = step.state();
    boolean full = false;
    for (Action a : step.actions()) full |= !act(a);
    if (full) on(new GraphQlWsProtocol.SendBufferFull());
    if (state.phase() == GraphQlWsProtocol.Phase.CLOSED && !ended) {
      // the peer closed, or a Close went out: ending the handler lets the frame layer finish the close handshake
      ended = true;
      timers.forEach(Cancellable::cancel);
      out.complete();
    }
  }

  /** Does one action; false when a message found the send buffer full. */
  private boolean act(Action a) {
    if (a instanceof GraphQlWsProtocol.Send s) {
      if (out.size() >= settings.sendBuffer()) return false;
      out.offer(new WebSocketFrames.Send(Messages.render(json, s.message())));
      return true;
    }
    if (a instanceof GraphQlWsProtocol.Close c) {
      log.info("graphql-ws connection closed {}: {}", c.code(), c.reason());
      out.offer(new WebSocketFrames.Close(c.code(), c.reason()));
      return true;
    }
    if (a instanceof GraphQlWsProtocol.Start s) {
      long token = ++starts;
      running.put(s.id(), new Running(token));
      api.executeOverSocket(new GraphQlApi.Request(s.operation().query(), s.operation().operationName(),
              s.operation().variables()), s.caller(), materializer)
          .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .whenComplete((r, e) -> started(s.id(), token, r, e));
      return true;
    }
    if (a instanceof GraphQlWsProtocol.Stop s) {
      Running r = running.remove(s.id());
      if (r != null && r.subscription != null) r.subscription.cancel();
      return true;
    }
    throw new IllegalStateException("unknown action " + a);
  }

  private synchronized boolean current(String id, long token) {
    Running r = running.get(id);
    return r != null && r.token == token;
  }

  /** An operation's output, if the operation still runs; its end forgets it. */
  private synchronized void emit(String id, long token, Messages.OperationMessage m) {
    if (!current(id, token)) return;
    if (!(m instanceof Messages.Next)) running.remove(id);
    on(new GraphQlWsProtocol.Emitted(m));
  }

  private void started(String id, long token, ExecutionResult r, Throwable failure) {
    if (failure != null) {
      emit(id, token, new Messages.Error(id, List.of(error(failure))));
      return;
    }
    if (r.getData() instanceof Publisher<?> p) {
      @SuppressWarnings("unchecked")
      Publisher<ExecutionResult> results = (Publisher<ExecutionResult>) p;
      results.subscribe(new Results(id, token));
      return;
    }
    Map<String, Object> spec = GraphQlRoutes.specification(r);
    if (r.getData() == null && spec.get(ERRORS) instanceof List<?> errors && !errors.isEmpty()) {
      emit(id, token, new Messages.Error(id, errorList(errors)));
      return;
    }
    emit(id, token, new Messages.Next(id, spec));
    emit(id, token, new Messages.Complete(id));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> errorList(List<?> errors) {
    return (List<Map<String, Object>>) errors;
  }

  /** A failure of an operation's execution or stream as a GraphQL error with its code. */
  private static Map<String, Object> error(Throwable failure) {
    Throwable e = failure;
    while (e instanceof CompletionException && e.getCause() != null) e = e.getCause();
    if (e instanceof ApiException a) return coded(a.code(), a.getMessage());
    if (e instanceof TimeoutException) return coded(ErrorCode.TIMEOUT, "the operation did not start in time");
    log.warn("a graphql-ws operation failed: {}", e.toString());
    return coded(ErrorCode.INTERNAL, "internal error");
  }

  private static Map<String, Object> coded(ErrorCode code, String message) {
    return Map.of("message", message, "extensions", Map.of("code", code.name()));
  }

  /** Takes a subscription's results one at a time while the operation runs. */
  private final class Results implements Subscriber<ExecutionResult> {
    private final String id;
    private final long token;
    private Subscription subscription;

    Results(String id, long token) {
      this.id = id;
      this.token = token;
    }

    @Override
    public void onSubscribe(Subscription s) {
      subscription = s;
      synchronized (GraphQlSocket.this) {
        Running r = running.get(id);
        if (r == null || r.token != token) {
          s.cancel(); // stopped before its stream began: its polls must not run on
          return;
        }
        r.subscription = s;
      }
      s.request(1);
    }

    @Override
    public void onNext(ExecutionResult result) {
      emit(id, token, new Messages.Next(id, GraphQlRoutes.specification(result)));
      if (current(id, token)) subscription.request(1);
    }

    @Override
    public void onError(Throwable t) {
      emit(id, token, new Messages.Error(id, List.of(error(t))));
    }

    @Override
    public void onComplete() {
      emit(id, token, new Messages.Complete(id));
    }
  }
}
