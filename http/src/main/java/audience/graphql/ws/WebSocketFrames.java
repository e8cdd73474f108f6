package audience.graphql.ws;

import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameEvent$;
import org.apache.pekko.http.impl.engine.ws.FrameHandler;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import org.apache.pekko.http.impl.engine.ws.WebSocket$;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.scaladsl.settings.WebSocketSettings;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.UniformFanInShape;
import org.apache.pekko.stream.UniformFanOutShape;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.GraphDSL;
import org.apache.pekko.stream.javadsl.Merge;
import org.apache.pekko.stream.javadsl.Partition;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one place that uses pekko-http's internal WebSocket API, because its public API cannot close a WebSocket with a
 * chosen status code (a handler's completion sends 1000, its failure 1011) and graphql-transport-ws closes with 44xx
 * codes. The request's {@code WebSocketUpgrade} attribute is an {@link UpgradeToWebSocketLowLevel} whose
 * {@code handleFrames} (Scala {@code private[http]}, public in bytecode) takes a flow of raw frames. On it this class
 * stacks pekko-http's own server layers (unmasking, frame handling with control frames, UTF-8 decoding and the close
 * handshake with its timeout, the periodic keep-alive of {@code pekko.http.server.websocket}), exactly as pekko-http's
 * {@code handleMessages} does, and replaces only the top layer, the message API, by one that can send
 * {@code ActivelyCloseWithCode(code, reason)}: the frame layer then sends a close frame with that code and waits for
 * the peer's close frame (or the close timeout) before the TCP connection is closed.
 *
 * <p>Everything above speaks the types of this class ({@link Inbound}, {@link Outbound}). Guarded by
 * {@code WebSocketFramesTest} (a raw {@code java.net.http.WebSocket} client sees each chosen close code, pings,
 * fragmented and oversized messages) and {@code GraphQlWsIT}: an upgrade of pekko-http that changes these internals
 * fails them.
 */
public final class WebSocketFrames {
  /** The layer pekko-http's own message API uses to wait for the peer's close frame. */
  private static final FiniteDuration CLOSE_TIMEOUT = FiniteDuration.apply(3, java.util.concurrent.TimeUnit.SECONDS);
  /** RFC 6455: the message is too big to process. */
  public static final int MESSAGE_TOO_BIG = 1009;
  /** RFC 6455's opcode of a text frame. */
  private static final Protocol.Opcode TEXT = Protocol.Opcode$.MODULE$.forCode((byte) 0x1);

  private WebSocketFrames() {}

  /** A whole message from the client, or the end of the connection. */
  public sealed interface Inbound permits Text, Binary, Oversized, Closed {}

  /** A text message. */
  public record Text(String text) implements Inbound {}

  /** A binary message (its size only). */
  public record Binary(long bytes) implements Inbound {}

  /** A message larger than the limit (its rest is discarded). */
  public record Oversized(long limit) implements Inbound {}

  /** The peer closed (with its code, -1 when none), or the frame layer closed on a protocol error. */
  public record Closed(int code) implements Inbound {}

  /** What to send. */
  public sealed interface Outbound permits Send, Close {}

  /** A text message. */
  public record Send(String text) implements Outbound {}

  /** Closes the connection with this status code and reason (at most 123 bytes of UTF-8). */
  public record Close(int code, String reason) implements Outbound {}

  /** Whether the request asks for a WebSocket this class can serve. */
  public static boolean upgradable(WebSocketUpgrade upgrade) {
    return upgrade instanceof UpgradeToWebSocketLowLevel;
  }

  /**
   * The 101 answer that makes the connection a WebSocket served by {@code handler}: each whole text message of the
   * client (at most {@code maxMessageBytes} of UTF-8) goes to it; what it emits is sent, a {@link Close} closes with
   * its code; its completion closes 1000, its failure 1011. {@code subprotocol}: the one chosen among those the client
   * offered (empty: none).
   */
  public static HttpResponse upgrade(WebSocketUpgrade upgrade, Optional<String> subprotocol,
                                     Flow<Inbound, Outbound, ?> handler, long maxMessageBytes,
                                     ClassicActorSystemProvider system, LoggingAdapter log) {
    if (!(upgrade instanceof UpgradeToWebSocketLowLevel low)) {
      throw new IllegalArgumentException("not a pekko-http server WebSocket upgrade: " + upgrade.getClass());
    }
    WebSocketSettings ws = (WebSocketSettings) org.apache.pekko.http.javadsl.settings.ServerSettings
        .create(system.classicSystem()).getWebsocketSettings();
    BidiFlow<FrameEvent, Object, Object, FrameEvent, NotUsed> masking = cast(WebSocket$.MODULE$.masking(true,
        ws.randomFactory()));
    BidiFlow<Object, Object, Object, Object, NotUsed> handling = cast(WebSocket$.MODULE$.frameHandling(true,
        CLOSE_TIMEOUT, log));
    BidiFlow<Object, FrameHandler.Output, Object, Object, NotUsed> keepAlive = cast(WebSocket$.MODULE$
        .periodicKeepAlive(ws));
    Flow<FrameEvent, FrameEvent, NotUsed> frames = masking.atop(handling).atop(keepAlive)
        .join(messages(handler, maxMessageBytes));
    @SuppressWarnings({"unchecked", "rawtypes"})
    org.apache.pekko.stream.Graph<FlowShape<FrameEvent, FrameEvent>, Object> graph =
        (org.apache.pekko.stream.Graph) frames;
    return low.handleFrames(graph, Option.apply(subprotocol.orElse(null)));
  }

  /** pekko-http's Scala layers with their variance erased (Java cannot see that a FrameStart is a FrameEvent). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static <A, B, C, D> BidiFlow<A, B, C, D, NotUsed> cast(org.apache.pekko.stream.Graph g) {
    return BidiFlow.fromGraph(g);
  }

  /** The message layer: whole messages to the handler, its output and the frame layer's bypass events out. */
  private static Flow<FrameHandler.Output, Object, NotUsed> messages(Flow<Inbound, Outbound, ?> handler, long max) {
    return Flow.fromGraph(GraphDSL.create(b -> {
      FlowShape<FrameHandler.Output, Routed> assemble = b.add(Flow.<FrameHandler.Output>create()
          .statefulMapConcat(() -> new Assembler(max)::next));
      UniformFanOutShape<Routed, Routed> split = b.add(Partition.create(Routed.class, 2,
          r -> r instanceof Bypass ? 0 : 1));
      FlowShape<Routed, Object> bypass = b.add(Flow.<Routed>create().map(r -> ((Bypass) r).event()));
      FlowShape<Routed, Object> user = b.add(Flow.<Routed>create().map(r -> ((Message) r).inbound())
          .via(handler)
          .map(WebSocketFrames::render)
          .concat(Source.single(FrameHandler.UserHandlerCompleted$.MODULE$))
          .recover(new scala.PartialFunction<>() {
            @Override
            public boolean isDefinedAt(Throwable x) {
              return true;
            }

            @Override
            public Object apply(Throwable e) {
              return new FrameHandler.UserHandlerErredOut(e);
            }
          }));
      // the close handshake's clock: the frame layer checks its deadline on each tick, as in pekko-http's message API
      Duration every = Duration.ofMillis(CLOSE_TIMEOUT.toMillis());
      FlowShape<Object, Object> ticks = b.add(Flow.create().merge(Source.tick(every, every,
          org.apache.pekko.http.impl.engine.ws.WebSocket.Tick$.MODULE$)));
      UniformFanInShape<Object, Object> merge = b.add(Merge.create(2));
      b.from(assemble.out()).toInlet(split.in());
      b.from(split.out(0)).via(bypass).toInlet(merge.in(0));
      b.from(split.out(1)).via(user).toInlet(merge.in(1));
      b.from(merge.out()).toInlet(ticks.in());
      return FlowShape.of(assemble.in(), ticks.out());
    }));
  }

  private static Object render(Outbound o) {
    if (o instanceof Send s) {
      return FrameEvent$.MODULE$.fullFrame(TEXT, Option.empty(),
          ByteString.fromString(s.text(), StandardCharsets.UTF_8), true, false, false, false);
    }
    if (o instanceof Close c) return new FrameHandler.ActivelyCloseWithCode(Option.apply(c.code()), reason(c.reason()));
    throw new IllegalStateException("unknown outbound " + o);
  }

  /** A close frame's reason is at most 123 bytes. */
  private static String reason(String r) {
    int max = 123;
    byte[] b = r.getBytes(StandardCharsets.UTF_8);
    if (b.length <= max) return r;
    String s = r;
    while (s.getBytes(StandardCharsets.UTF_8).length > max) s = s.substring(0, s.length() - 1);
    return s;
  }

  private sealed interface Routed permits Bypass, Message {}

  /** For the frame layer (a pong, the peer's close, a protocol error's close). */
  private record Bypass(Object event) implements Routed {}

  private record Message(Inbound inbound) implements Routed {}

  /** Collects a message's parts into one message, up to the limit. */
  private static final class Assembler {
    private final long max;
    private final StringBuilder text = new StringBuilder();
    private long bytes;
    private boolean binary;
    private boolean oversized;

    Assembler(long max) {
      this.max = max;
    }

    List<Routed> next(FrameHandler.Output o) {
      List<Routed> out = new ArrayList<>(2);
      if (o instanceof FrameHandler.TextMessagePart t) {
        part(t.data().getBytes(StandardCharsets.UTF_8).length, t.data(), false, out);
      } else if (o instanceof FrameHandler.BinaryMessagePart p) {
        part(p.data().size(), null, true, out);
      } else if (o == FrameHandler.MessageEnd$.MODULE$) {
        if (!oversized) out.add(new Message(binary ? new Binary(bytes) : new Text(text.toString())));
        text.setLength(0);
        bytes = 0;
        binary = false;
        oversized = false;
      } else if (o instanceof FrameHandler.PeerClosed c) {
        out.add(new Bypass(c));
        out.add(new Message(new Closed(c.code().isDefined() ? (Integer) c.code().get() : -1)));
      } else if (o instanceof FrameHandler.ActivelyCloseWithCode c) {
        out.add(new Bypass(c));
        out.add(new Message(new Closed(c.code().isDefined() ? (Integer) c.code().get() : -1)));
      } else {
        out.add(new Bypass(o)); // a direct answer (pong) or another event of the frame layer
      }
      return out;
    }

    private void part(long size, String data, boolean isBinary, List<Routed> out) {
      if (oversized) return;
      binary = isBinary;
      bytes += size;
      if (bytes > max) {
        oversized = true;
        text.setLength(0);
        out.add(new Message(new Oversized(max)));
        return;
      }
      if (data != null) text.append(data);
    }
  }
}
