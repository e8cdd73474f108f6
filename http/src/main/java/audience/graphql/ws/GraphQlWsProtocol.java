package audience.graphql.ws;

import audience.auth.Caller;
import audience.graphql.ErrorCode;
import audience.auth.TokenVerifier;
import audience.graphql.ws.Messages.ClientComplete;
import audience.graphql.ws.Messages.ClientMessage;
import audience.graphql.ws.Messages.ClientPing;
import audience.graphql.ws.Messages.ClientPong;
import audience.graphql.ws.Messages.ConnectionInit;
import audience.graphql.ws.Messages.OperationMessage;
import audience.graphql.ws.Messages.ServerMessage;
import audience.graphql.ws.Messages.Subscribe;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The graphql-transport-ws protocol of one connection as a pure state machine: {@link #step} takes the state and an
 * event (a client message, a timer, an operation's output, the end of the socket) and answers the next state and the
 * actions to take (send, close with a code, start or stop an operation). No I/O here: {@code GraphQlSocket} runs the
 * actions; {@code GraphQlWsProtocolTest} walks every path.
 */
public final class GraphQlWsProtocol {
  private GraphQlWsProtocol() {}

  /** The protocol's close codes (and two of RFC 6455) with their reasons. */
  public enum CloseCode {
    INVALID_MESSAGE(4400, "Invalid message"),
    UNAUTHORIZED(4401, "Unauthorized"),
    FORBIDDEN(4403, "Forbidden"),
    INIT_TIMEOUT(4408, "Connection initialisation timeout"),
    SUBSCRIBER_EXISTS(4409, "Subscriber already exists"),
    TOO_MANY_INIT_REQUESTS(4429, "Too many initialisation requests"),
    /** RFC 6455: a message larger than {@code max-message-size}. */
    MESSAGE_TOO_BIG(WebSocketFrames.MESSAGE_TOO_BIG, "Message too big"),
    /** RFC 6455 policy violation: the client does not read its messages (the send buffer is full). */
    SLOW_CONSUMER(1008, "Too many messages waiting for the client");

    public final int code;
    public final String reason;

    CloseCode(int code, String reason) {
      this.code = code;
      this.reason = reason;
    }
  }

  /** Where the connection is. */
  public enum Phase {
    /** Waiting for connection_init. */
    AWAITING_INIT,
    /** Acknowledged: operations may run. */
    READY,
    /** Closed (by us or the peer): nothing more happens. */
    CLOSED
  }

  /** The connection: its phase, its caller once acknowledged (null before), the ids of its running operations. */
  public record State(Phase phase, Caller caller, Set<String> active) {
    public State {
      active = Set.copyOf(active);
    }

    public static State initial() {
      return new State(Phase.AWAITING_INIT, null, Set.of());
    }

    State adding(String id) {
      Set<String> s = new LinkedHashSet<>(active);
      s.add(id);
      return new State(phase, caller, s);
    }

    State removing(String id) {
      Set<String> s = new LinkedHashSet<>(active);
      s.remove(id);
      return new State(phase, caller, s);
    }
  }

  /** What happens to the connection. */
  public sealed interface Event permits Received, Unreadable, Oversized, InitTimedOut, KeepAliveDue, Emitted,
      SendBufferFull, PeerClosed {}

  /** A valid client message. */
  public record Received(ClientMessage message) implements Event {}

  /** A client text that is no protocol message (or a binary message): the reason. */
  public record Unreadable(String reason) implements Event {}

  /** A client message over the size limit. */
  public record Oversized(long limit) implements Event {}

  /** {@code connection-init-timeout} passed since the socket opened. */
  public record InitTimedOut() implements Event {}

  /** Time for the server's keep-alive ping. */
  public record KeepAliveDue() implements Event {}

  /** An operation's output: a result, its errors or its end. */
  public record Emitted(OperationMessage message) implements Event {}

  /** The client does not read: the send buffer is full. */
  public record SendBufferFull() implements Event {}

  /** The socket ended (the peer closed it, or it broke). */
  public record PeerClosed() implements Event {}

  /** What to do. */
  public sealed interface Action permits Send, Close, Start, Stop {}

  public record Send(ServerMessage message) implements Action {}

  /** Closes the socket with this code and reason. */
  public record Close(int code, String reason) implements Action {}

  /** Runs the operation for the caller under the id. */
  public record Start(String id, Caller caller, Messages.Operation operation) implements Action {}

  /** Stops the operation (the client completed it, or the connection ends). */
  public record Stop(String id) implements Action {}

  /** The next state and the actions, in order. */
  public record Step(State state, List<Action> actions) {
    public Step {
      actions = List.copyOf(actions);
    }
  }

  /**
   * The protocol's answer to {@code event} in {@code state}. {@code authenticate}: a connection_init's payload to the
   * verified caller or the reason it is refused (the token of the payload, else of the upgrade's header);
   * {@code maxOperations}: operations running at once, beyond which a subscribe is answered with an error message.
   */
  public static Step step(State state, Event event, Function<Map<String, Object>, TokenVerifier.Result> authenticate,
                          int maxOperations) {
    if (state.phase() == Phase.CLOSED) return new Step(state, List.of());
    if (event instanceof Received r) return received(state, r.message(), authenticate, maxOperations);
    if (event instanceof Unreadable u) return close(state, CloseCode.INVALID_MESSAGE.code, u.reason());
    if (event instanceof Oversized o) {
      return close(state, CloseCode.MESSAGE_TOO_BIG.code, CloseCode.MESSAGE_TOO_BIG.reason + " (over " + o.limit()
          + " bytes)");
    }
    if (event instanceof InitTimedOut) {
      return state.phase() == Phase.AWAITING_INIT ? close(state, CloseCode.INIT_TIMEOUT) : new Step(state, List.of());
    }
    if (event instanceof KeepAliveDue) {
      return state.phase() == Phase.READY ? new Step(state, List.of(new Send(new Messages.ServerPing())))
          : new Step(state, List.of());
    }
    if (event instanceof Emitted e) return emitted(state, e.message());
    if (event instanceof SendBufferFull) return close(state, CloseCode.SLOW_CONSUMER);
    if (event instanceof PeerClosed) return new Step(new State(Phase.CLOSED, state.caller(), Set.of()), stops(state));
    throw new IllegalStateException("unknown event " + event);
  }

  private static Step received(State state, ClientMessage m,
                               Function<Map<String, Object>, TokenVerifier.Result> authenticate, int max) {
    if (m instanceof ConnectionInit init) {
      if (state.phase() != Phase.AWAITING_INIT) return close(state, CloseCode.TOO_MANY_INIT_REQUESTS);
      TokenVerifier.Result r = authenticate.apply(init.payload());
      if (r instanceof TokenVerifier.Verified v) {
        return new Step(new State(Phase.READY, v.caller(), Set.of()),
            List.of(new Send(new Messages.ConnectionAck())));
      }
      if (r instanceof TokenVerifier.Rejected rejected) {
        return close(state, CloseCode.FORBIDDEN.code, CloseCode.FORBIDDEN.reason + ": " + rejected.reason());
      }
      throw new IllegalStateException("unknown verification result " + r);
    }
    if (m instanceof ClientPing p) return new Step(state, List.of(new Send(new Messages.ServerPong(p.payload()))));
    if (m instanceof ClientPong) return new Step(state, List.of());
    if (m instanceof Subscribe s) {
      if (state.phase() != Phase.READY) return close(state, CloseCode.UNAUTHORIZED);
      if (state.active().contains(s.id())) {
        return close(state, CloseCode.SUBSCRIBER_EXISTS.code, "Subscriber for " + s.id() + " already exists");
      }
      if (state.active().size() >= max) {
        return new Step(state, List.of(new Send(new Messages.Error(s.id(), List.of(Map.of("message",
            "at most " + max + " operations run at once on a connection; complete one first",
            "extensions", Map.of("code", ErrorCode.TOO_MANY_SUBSCRIPTIONS.name())))))));
      }
      return new Step(state.adding(s.id()), List.of(new Start(s.id(), state.caller(), s.payload())));
    }
    if (m instanceof ClientComplete c) {
      return state.active().contains(c.id()) ? new Step(state.removing(c.id()), List.of(new Stop(c.id())))
          : new Step(state, List.of());
    }
    throw new IllegalStateException("unknown client message " + m);
  }

  /** An operation's output goes out while the operation is active; its error or completion ends it. */
  private static Step emitted(State state, OperationMessage m) {
    if (!state.active().contains(m.id())) return new Step(state, List.of());
    if (m instanceof Messages.Next) return new Step(state, List.of(new Send(m)));
    if (m instanceof Messages.Error || m instanceof Messages.Complete) {
      return new Step(state.removing(m.id()), List.of(new Send(m)));
    }
    throw new IllegalStateException("unknown operation message " + m);
  }

  private static Step close(State state, CloseCode code) {
    return close(state, code.code, code.reason);
  }

  /** Stops every running operation, then closes. */
  private static Step close(State state, int code, String reason) {
    List<Action> actions = new ArrayList<>(stops(state));
    actions.add(new Close(code, reason));
    return new Step(new State(Phase.CLOSED, state.caller(), Set.of()), actions);
  }

  private static List<Action> stops(State state) {
    return state.active().stream().<Action>map(Stop::new).toList();
  }
}
