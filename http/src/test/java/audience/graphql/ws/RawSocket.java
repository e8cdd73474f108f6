package audience.graphql.ws;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw {@code java.net.http.WebSocket} client for tests: records whole text messages, pongs, and the close status
 * code the server sent (the JDK client reports it as it is).
 */
public final class RawSocket implements WebSocket.Listener {
  public static final long WAIT_SECONDS = 20;
  private final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<String> pongs = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final StringBuilder part = new StringBuilder();
  private WebSocket ws;

  /** Opens {@code url} offering the subprotocols, with the headers. */
  public static RawSocket open(String url, Map<String, String> headers, String... protocols) throws Exception {
    RawSocket c = new RawSocket();
    var b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(WAIT_SECONDS)).build().newWebSocketBuilder();
    headers.forEach(b::header);
    if (protocols.length > 0) {
      b.subprotocols(protocols[0], List.of(protocols).subList(1, protocols.length).toArray(String[]::new));
    }
    c.ws = b.buildAsync(URI.create(url), c).get(WAIT_SECONDS, TimeUnit.SECONDS);
    return c;
  }

  public static RawSocket open(String url, String... protocols) throws Exception {
    return open(url, Map.of(), protocols);
  }

  public WebSocket ws() {
    return ws;
  }

  public void send(String text) throws Exception {
    ws.sendText(text, true).get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @Override
  public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
    part.append(data);
    if (last) {
      texts.add(part.toString());
      part.setLength(0);
    }
    w.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onPong(WebSocket w, ByteBuffer message) {
    pongs.add(StandardCharsets.UTF_8.decode(message).toString());
    w.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
    closed.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket w, Throwable error) {
    closed.completeExceptionally(error);
  }

  /** The next text message (null after the wait). */
  public String next() throws InterruptedException {
    return texts.poll(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** A text message if one arrives within {@code wait}. */
  public Optional<String> within(Duration wait) throws InterruptedException {
    return Optional.ofNullable(texts.poll(wait.toMillis(), TimeUnit.MILLISECONDS));
  }

  public String pong() throws InterruptedException {
    return pongs.poll(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** The close code the server sent. */
  public int closeCode() throws Exception {
    return closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** The close code the server sent within {@code wait}. */
  public int closeCode(Duration wait) throws Exception {
    return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean isClosed() {
    return closed.isDone();
  }
}
