package audience.graphql.ws;

import audience.config.Settings;
import audience.http.HttpServer;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.event.Logging;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Flow;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guards {@link WebSocketFrames}, the one user of pekko-http's internal WebSocket API: a raw java.net.http client
 * sees the chosen close codes (4403 on request, 1009 for an oversized message, 1000 when the handler completes),
 * gets its messages echoed (fragmented ones whole), gets a pong for its ping, and the peer's close is answered.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebSocketFramesTest {
  private static final long MAX = 1_000;
  private ActorSystem<Void> system;
  private String url;

  /** Echoes text; "close:CODE" closes with that code; "done" completes the handler; oversized closes 1009. */
  private static Flow<WebSocketFrames.Inbound, WebSocketFrames.Outbound, ?> echo() {
    return Flow.<WebSocketFrames.Inbound>create()
        .takeWhile(in -> !(in instanceof WebSocketFrames.Closed)
            && !(in instanceof WebSocketFrames.Text t && t.text().equals("done")))
        .map(in -> {
          if (in instanceof WebSocketFrames.Text t && t.text().startsWith("close:")) {
            return new WebSocketFrames.Close(Integer.parseInt(t.text().substring(6)), "chosen");
          }
          if (in instanceof WebSocketFrames.Text t) return new WebSocketFrames.Send("echo " + t.text());
          if (in instanceof WebSocketFrames.Oversized o) {
            return new WebSocketFrames.Close(WebSocketFrames.MESSAGE_TOO_BIG, "over " + o.limit());
          }
          return new WebSocketFrames.Send("binary");
        });
  }

  @BeforeAll
  void start() {
    system = ActorSystem.create(Behaviors.empty(), "ws-frames-test",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    AllDirectives d = new AllDirectives() {};
    Route route = d.extractRequest(req -> {
      var upgrade = req.getAttribute(AttributeKeys.webSocketUpgrade);
      if (upgrade.isEmpty()) return d.reject();
      boolean offered = java.util.stream.StreamSupport.stream(upgrade.get().getRequestedProtocols().spliterator(),
          false).anyMatch("test"::equals);
      Optional<String> proto = offered ? Optional.of("test") : Optional.empty();
      return d.complete(WebSocketFrames.upgrade(upgrade.get(), proto, echo(), MAX, system,
          Logging.getLogger(system.classicSystem(), this)));
    });
    var binding = HttpServer.start(system, new Settings.HttpSettings("127.0.0.1", 0, ""), route);
    url = "ws://127.0.0.1:" + binding.localAddress().getPort() + "/";
  }

  @AfterAll
  void stop() {
    if (system != null) system.terminate();
  }

  @Test
  void echoesWholeMessagesAndAnswersPings() throws Exception {
    RawSocket c = RawSocket.open(url, "test");
    assertThat(c.ws().getSubprotocol()).isEqualTo("test");
    c.ws().sendText("hello", true).get();
    assertThat(c.next()).isEqualTo("echo hello");
    c.ws().sendText("frag", false).get();
    c.ws().sendText("mented", true).get();
    assertThat(c.next()).isEqualTo("echo fragmented");
    c.ws().sendPing(ByteBuffer.wrap("p1".getBytes())).get();
    assertThat(c.pong()).isEqualTo("p1");
    c.ws().sendClose(WebSocket.NORMAL_CLOSURE, "bye").get();
    assertThat(c.closeCode()).isEqualTo(WebSocket.NORMAL_CLOSURE);
  }

  @Test
  void closesWithTheChosenCode() throws Exception {
    for (int code : new int[] {4403, 4400, 4429}) {
      RawSocket c = RawSocket.open(url, "test");
      c.ws().sendText("close:" + code, true).get();
      assertThat(c.closeCode()).as("close code").isEqualTo(code);
    }
  }

  @Test
  void anOversizedMessageClosesTheConnection1009AndTheNextConnectionIsServed() throws Exception {
    RawSocket c = RawSocket.open(url);
    c.ws().sendText("x".repeat((int) MAX + 1), true).get();
    assertThat(c.closeCode()).isEqualTo(WebSocketFrames.MESSAGE_TOO_BIG);
    RawSocket next = RawSocket.open(url);
    next.ws().sendText("x".repeat((int) MAX), true).get();
    assertThat(next.next()).startsWith("echo xxx");
  }

  @Test
  void theHandlerCompletingClosesNormally() throws Exception {
    RawSocket c = RawSocket.open(url);
    c.ws().sendText("done", true).get();
    assertThat(c.closeCode()).isEqualTo(WebSocket.NORMAL_CLOSURE);
  }
}
