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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guards {@link WebSocketFrames}, the one user of pekko-http's internal WebSocket API: a raw java.net.http client
 * sees the chosen close codes (4403 on request, 1009 for an oversized message, 1000 when the handler completes),
 * gets its messages echoed (fragmented ones whole), gets a pong for its ping, and the peer's close is answered.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebSocketFramesTest {
  private static final long MAX = 1_000;
  private static final long WAIT_SECONDS = 10;
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
      Optional<String> proto = java.util.stream.StreamSupport.stream(upgrade.get().getRequestedProtocols().spliterator(), false).anyMatch("test"::equals) ? Optional.of("test")
          : Optional.empty();
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

  /** A raw client recording texts, pongs and the close. */
  static final class Client implements WebSocket.Listener {
    final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<String> pongs = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final StringBuilder part = new StringBuilder();
    WebSocket ws;

    static Client open(String url, String... protocols) throws Exception {
      Client c = new Client();
      var b = HttpClient.newHttpClient().newWebSocketBuilder();
      if (protocols.length > 0) b.subprotocols(protocols[0], List.of(protocols).subList(1, protocols.length)
          .toArray(String[]::new));
      c.ws = b.buildAsync(URI.create(url), c).get(WAIT_SECONDS, TimeUnit.SECONDS);
      return c;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      part.append(data);
      if (last) {
        texts.add(part.toString());
        part.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
      pongs.add(java.nio.charset.StandardCharsets.UTF_8.decode(message).toString());
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.completeExceptionally(error);
    }

    String next() throws InterruptedException {
      return texts.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    int closeCode() throws Exception {
      return closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }
  }

  @Test
  void echoesWholeMessagesAndAnswersPings() throws Exception {
    Client c = Client.open(url, "test");
    assertThat(c.ws.getSubprotocol()).isEqualTo("test");
    c.ws.sendText("hello", true).get();
    assertThat(c.next()).isEqualTo("echo hello");
    c.ws.sendText("frag", false).get();
    c.ws.sendText("mented", true).get();
    assertThat(c.next()).isEqualTo("echo fragmented");
    c.ws.sendPing(ByteBuffer.wrap("p1".getBytes())).get();
    assertThat(c.pongs.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo("p1");
    c.ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get();
    assertThat(c.closeCode()).isEqualTo(WebSocket.NORMAL_CLOSURE);
  }

  @Test
  void closesWithTheChosenCode() throws Exception {
    for (int code : new int[] {4403, 4400, 4429}) {
      Client c = Client.open(url, "test");
      c.ws.sendText("close:" + code, true).get();
      assertThat(c.closeCode()).as("close code").isEqualTo(code);
    }
  }

  @Test
  void anOversizedMessageClosesTheConnection1009AndTheNextConnectionIsServed() throws Exception {
    Client c = Client.open(url);
    c.ws.sendText("x".repeat((int) MAX + 1), true).get();
    assertThat(c.closeCode()).isEqualTo(WebSocketFrames.MESSAGE_TOO_BIG);
    Client next = Client.open(url);
    next.ws.sendText("x".repeat((int) MAX), true).get();
    assertThat(next.next()).startsWith("echo xxx");
  }

  @Test
  void theHandlerCompletingClosesNormally() throws Exception {
    Client c = Client.open(url);
    c.ws.sendText("done", true).get();
    assertThat(c.closeCode()).isEqualTo(WebSocket.NORMAL_CLOSURE);
  }
}
