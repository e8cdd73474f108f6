package audience.graphql.ws;

import audience.auth.Caller;
import audience.auth.Role;
import audience.auth.TokenVerifier;
import audience.graphql.ws.GraphQlWsProtocol.Action;
import audience.graphql.ws.GraphQlWsProtocol.Close;
import audience.graphql.ws.GraphQlWsProtocol.Event;
import audience.graphql.ws.GraphQlWsProtocol.Phase;
import audience.graphql.ws.GraphQlWsProtocol.Send;
import audience.graphql.ws.GraphQlWsProtocol.Start;
import audience.graphql.ws.GraphQlWsProtocol.State;
import audience.graphql.ws.GraphQlWsProtocol.Step;
import audience.graphql.ws.GraphQlWsProtocol.Stop;
import audience.http.JsonSupport;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** The graphql-transport-ws state machine, path by path: every close code, ids, ping/pong, completion, the cap. */
class GraphQlWsProtocolTest {
  private static final int MAX = 2;
  private static final Caller VERA = new Caller("vera", Role.VIEWER);
  private static final ObjectMapper JSON = JsonSupport.mapper();
  /** "good" is a valid token, anything else is refused. */
  private static final Function<Map<String, Object>, TokenVerifier.Result> AUTH = payload ->
      "good".equals(payload.get("authorization")) ? new TokenVerifier.Verified(VERA)
          : new TokenVerifier.Rejected("the bearer token is invalid");
  private static final Messages.Operation QUERY = new Messages.Operation("subscription { x }", null, null);

  private static Step step(State s, Event e) {
    return GraphQlWsProtocol.step(s, e, AUTH, MAX);
  }

  private static Event received(String text) {
    Messages.Parsed p = Messages.parse(JSON, text);
    if (p instanceof Messages.Valid v) return new GraphQlWsProtocol.Received(v.message());
    return new GraphQlWsProtocol.Unreadable(((Messages.Invalid) p).reason());
  }

  private static Event init(String token) {
    return new GraphQlWsProtocol.Received(new Messages.ConnectionInit(Map.of("authorization", token)));
  }

  private static Event subscribe(String id) {
    return new GraphQlWsProtocol.Received(new Messages.Subscribe(id, QUERY));
  }

  private static State ready() {
    Step s = step(State.initial(), init("good"));
    assertThat(s.actions()).containsExactly(new Send(new Messages.ConnectionAck()));
    assertThat(s.state().phase()).isEqualTo(Phase.READY);
    assertThat(s.state().caller()).isEqualTo(VERA);
    return s.state();
  }

  private static int closeCode(Step s) {
    assertThat(s.state().phase()).isEqualTo(Phase.CLOSED);
    Action last = s.actions().get(s.actions().size() - 1);
    assertThat(last).isInstanceOf(Close.class);
    return ((Close) last).code();
  }

  @Test
  void aValidInitIsAcknowledgedWithTheCaller() {
    ready();
  }

  @Test
  void aBadTokenAtInitCloses4403WithTheReason() {
    Step s = step(State.initial(), init("bad"));
    assertThat(closeCode(s)).isEqualTo(4403);
    assertThat(((Close) s.actions().get(0)).reason()).startsWith("Forbidden").contains("invalid");
  }

  @Test
  void aSubscribeBeforeTheAckCloses4401() {
    assertThat(closeCode(step(State.initial(), subscribe("1")))).isEqualTo(4401);
  }

  @Test
  void theInitTimeoutCloses4408OnlyBeforeTheInit() {
    assertThat(closeCode(step(State.initial(), new GraphQlWsProtocol.InitTimedOut()))).isEqualTo(4408);
    State ready = ready();
    Step late = step(ready, new GraphQlWsProtocol.InitTimedOut());
    assertThat(late.actions()).isEmpty();
    assertThat(late.state()).isEqualTo(ready);
  }

  @Test
  void aSecondInitCloses4429() {
    assertThat(closeCode(step(ready(), init("good")))).isEqualTo(4429);
  }

  @Test
  void aSecondInitAfterARefusedOneFindsTheConnectionClosed() {
    Step refused = step(State.initial(), init("bad"));
    assertThat(step(refused.state(), init("good")).actions()).isEmpty();
  }

  @Test
  void aDuplicateIdCloses4409NamingItAndStopsTheRunningOnes() {
    Step first = step(ready(), subscribe("a"));
    assertThat(first.actions()).containsExactly(new Start("a", VERA, QUERY));
    Step dup = step(first.state(), subscribe("a"));
    assertThat(closeCode(dup)).isEqualTo(4409);
    assertThat(dup.actions()).containsExactly(new Stop("a"), new Close(4409, "Subscriber for a already exists"));
  }

  @Test
  void anIdMayBeUsedAgainOnceItsOperationEnded() {
    State s = step(ready(), subscribe("a")).state();
    s = step(s, new GraphQlWsProtocol.Emitted(new Messages.Complete("a"))).state();
    assertThat(step(s, subscribe("a")).actions()).containsExactly(new Start("a", VERA, QUERY));
  }

  @Test
  void invalidMessagesClose4400() {
    for (String text : List.of("not json", "[1]", "{}", "{\"type\": 42}", "{\"type\": \"nope\"}",
        "{\"type\": \"subscribe\", \"payload\": {\"query\": \"{ me { role } }\"}}",
        "{\"type\": \"subscribe\", \"id\": \"1\", \"payload\": {}}",
        "{\"type\": \"subscribe\", \"id\": \"1\", \"payload\": {\"query\": \"q\", \"variables\": 3}}",
        "{\"type\": \"complete\"}", "{\"type\": \"next\", \"id\": \"1\", \"payload\": {}}",
        "{\"type\": \"connection_ack\"}", "{\"type\": \"connection_init\", \"payload\": \"token\"}")) {
      assertThat(closeCode(step(ready(), received(text)))).as(text).isEqualTo(4400);
    }
  }

  @Test
  void anOversizedMessageCloses1009AndASlowClient1008() {
    assertThat(closeCode(step(ready(), new GraphQlWsProtocol.Oversized(10)))).isEqualTo(1009);
    assertThat(closeCode(step(ready(), new GraphQlWsProtocol.SendBufferFull()))).isEqualTo(1008);
  }

  @Test
  void pingIsAnsweredWithPongBeforeAndAfterTheAckAndPongIsIgnored() {
    Step before = step(State.initial(), received("{\"type\": \"ping\", \"payload\": {\"n\": 1}}"));
    assertThat(before.actions()).containsExactly(new Send(new Messages.ServerPong(Map.of("n", 1))));
    assertThat(before.state().phase()).isEqualTo(Phase.AWAITING_INIT);
    assertThat(step(ready(), received("{\"type\": \"ping\"}")).actions())
        .containsExactly(new Send(new Messages.ServerPong(null)));
    assertThat(step(ready(), received("{\"type\": \"pong\"}")).actions()).isEmpty();
  }

  @Test
  void theKeepAlivePingsOnlyAnAcknowledgedConnection() {
    assertThat(step(State.initial(), new GraphQlWsProtocol.KeepAliveDue()).actions()).isEmpty();
    assertThat(step(ready(), new GraphQlWsProtocol.KeepAliveDue()).actions())
        .containsExactly(new Send(new Messages.ServerPing()));
  }

  @Test
  void resultsGoOutWhileTheOperationRunsAndItsEndForgetsIt() {
    State s = step(ready(), subscribe("a")).state();
    Messages.Next next = new Messages.Next("a", Map.of("data", Map.of()));
    Step n = step(s, new GraphQlWsProtocol.Emitted(next));
    assertThat(n.actions()).containsExactly(new Send(next));
    Messages.Error error = new Messages.Error("a", List.of(Map.of("message", "no booking")));
    Step e = step(n.state(), new GraphQlWsProtocol.Emitted(error));
    assertThat(e.actions()).containsExactly(new Send(error));
    assertThat(e.state().active()).isEmpty();
    assertThat(step(e.state(), new GraphQlWsProtocol.Emitted(next)).actions()).as("nothing after the end").isEmpty();
  }

  @Test
  void aCompleteFromTheClientStopsTheOperationAndItsLaterResultsAreDropped() {
    State s = step(ready(), subscribe("a")).state();
    Step c = step(s, received("{\"type\": \"complete\", \"id\": \"a\"}"));
    assertThat(c.actions()).containsExactly(new Stop("a"));
    assertThat(c.state().active()).isEmpty();
    assertThat(step(c.state(), new GraphQlWsProtocol.Emitted(new Messages.Next("a", Map.of()))).actions()).isEmpty();
    assertThat(step(c.state(), new GraphQlWsProtocol.Emitted(new Messages.Complete("a"))).actions())
        .as("no complete back to a client that completed").isEmpty();
    assertThat(step(c.state(), received("{\"type\": \"complete\", \"id\": \"unknown\"}")).actions()).isEmpty();
  }

  @Test
  void operationsBeyondTheCapAreRefusedWithAnErrorAndTheConnectionStays() {
    State s = step(step(ready(), subscribe("a")).state(), subscribe("b")).state();
    Step over = step(s, subscribe("c"));
    assertThat(over.state()).isEqualTo(s);
    assertThat(over.actions()).hasSize(1);
    Messages.Error error = (Messages.Error) ((Send) over.actions().get(0)).message();
    assertThat(error.id()).isEqualTo("c");
    assertThat(error.payload().get(0).get("extensions")).isEqualTo(Map.of("code", "TOO_MANY_SUBSCRIPTIONS"));
  }

  @Test
  void thePeerClosingStopsEveryOperationAndNothingHappensAfter() {
    State s = step(step(ready(), subscribe("a")).state(), subscribe("b")).state();
    Step closed = step(s, new GraphQlWsProtocol.PeerClosed());
    assertThat(closed.actions()).containsExactlyInAnyOrder(new Stop("a"), new Stop("b"));
    assertThat(closed.state().phase()).isEqualTo(Phase.CLOSED);
    assertThat(step(closed.state(), subscribe("c")).actions()).isEmpty();
    assertThat(step(closed.state(), new GraphQlWsProtocol.InitTimedOut()).actions()).isEmpty();
  }

  @Test
  void messagesRenderAsTheProtocolSpellsThem() {
    assertThat(Messages.render(JSON, new Messages.ConnectionAck())).isEqualTo("{\"type\":\"connection_ack\"}");
    assertThat(Messages.render(JSON, new Messages.Complete("7"))).isEqualTo("{\"id\":\"7\",\"type\":\"complete\"}");
    assertThat(Messages.render(JSON, new Messages.Next("7", Map.of("data", Map.of("a", 1)))))
        .isEqualTo("{\"id\":\"7\",\"type\":\"next\",\"payload\":{\"data\":{\"a\":1}}}");
    assertThat(Messages.parse(JSON, "{\"type\":\"subscribe\",\"id\":\"9\",\"payload\":{\"query\":\"q\","
        + "\"operationName\":null,\"variables\":{\"id\":\"x\"},\"extensions\":{}}}"))
        .isEqualTo(new Messages.Valid(new Messages.Subscribe("9", new Messages.Operation("q", null,
            Map.of("id", "x")))));
  }
}
