package audience.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import audience.devstack.DevStack.Service;
import audience.devstack.FaultRule.Match;
import audience.devstack.HttpWire.Framing;
import audience.devstack.HttpWire.Head;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy's HTTP/1.1 handling against a plain in-test upstream that echoes what it got (no emulators): bytes and
 * connections pass unchanged, and each fault does what it says.
 */
class FaultProxyTest {
  private static final int SOCKET_TIMEOUT_MILLIS = 10_000;

  private EchoUpstream upstream;
  private FaultState state;
  private FaultProxy proxy;

  @BeforeEach
  void start() throws IOException {
    upstream = new EchoUpstream(false);
    state = new FaultState();
    proxy = FaultProxy.start(Service.S3, 0, upstream.uri(), state);
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    upstream.close();
  }

  /** A raw client connection to the proxy. */
  private final class Client implements AutoCloseable {
    final Socket socket = new Socket();
    final InputStream in;
    final OutputStream out;

    Client() throws IOException {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.endpoint().getPort()));
      socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
      in = new BufferedInputStream(socket.getInputStream());
      out = socket.getOutputStream();
    }

    void send(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** Reads one response: its head and its body (with its framing bytes). */
    Response read(boolean toHead) throws IOException {
      Head head = HttpWire.readHead(in);
      assertThat(head).as("a response").isNotNull();
      Head request = new Head(toHead ? "HEAD / HTTP/1.1" : "GET / HTTP/1.1", List.of());
      byte[] body = HttpWire.readBody(HttpWire.responseFraming(request, head), head, in);
      return new Response(head, new String(body, StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private record Response(Head head, String body) {}

  @Test
  void passesRequestsAndAnswersUnchangedOnOneConnection() throws IOException {
    try (Client c = new Client()) {
      c.send("PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Meta-Odd:  Mixed Case \r\n"
          + "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n");
      Response put = c.read(false);
      assertThat(put.head().status()).isEqualTo(200);
      assertThat(put.body()).startsWith("PUT /bucket/key HTTP/1.1\n")
          .contains("X-Amz-Meta-Odd:  Mixed Case \n", "Transfer-Encoding: chunked\n")
          .endsWith("\n\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n");

      c.send("HEAD /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      Response head = c.read(true);
      assertThat(head.head().header("Content-Length")).isNotEqualTo("0");
      assertThat(head.body()).isEmpty();

      c.send("GET /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertThat(c.read(false).body()).startsWith("GET /bucket/key HTTP/1.1\n");
    }
    assertThat(upstream.connections()).as("the client's keep-alive is the upstream's").isEqualTo(1);
    assertThat(state.counts().of(Service.S3).requests()).isEqualTo(3);
  }

  @Test
  void answersExpectContinueItselfAndDropsTheHeader() throws IOException {
    try (Client c = new Client()) {
      c.send("PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
      assertThat(HttpWire.readHead(c.in).status()).isEqualTo(100);
      c.send("body");
      Response r = c.read(false);
      assertThat(r.body()).doesNotContainIgnoringCase("expect").endsWith("\n\nbody");
    }
  }

  @Test
  void answersAnErrorInTheDialectAndKeepsTheConnection() throws IOException {
    state.set(FaultRules.seed(1).with(Service.S3,
        FaultRule.matching("denied", Match.pathContains("/secret")).withErrors(1, "AccessDenied")));
    try (Client c = new Client()) {
      c.send("PUT /bucket/secret/k HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
      Response denied = c.read(false);
      assertThat(denied.head().status()).isEqualTo(403);
      assertThat(denied.body()).contains("<Code>AccessDenied</Code>");
      c.send("GET /bucket/open/k HTTP/1.1\r\nHost: h\r\n\r\n");
      assertThat(c.read(false).head().status()).isEqualTo(200);
    }
    assertThat(upstream.requests()).containsExactly("GET /bucket/open/k HTTP/1.1");
    FaultCounts.ServiceCounts counts = state.counts().of(Service.S3);
    assertThat(counts.requests()).isEqualTo(2);
    assertThat(counts.rule("denied")).isEqualTo(new FaultCounts.RuleCounts(1, 1, 0, 0));
  }

  @Test
  void resetsWithoutAnAnswer() throws IOException {
    state.set(FaultRules.none().with(Service.S3, FaultRule.all("reset").withResets(1)));
    try (Client c = new Client()) {
      c.send("GET /bucket/k HTTP/1.1\r\nHost: h\r\n\r\n");
      assertThatThrownBy(() -> {
        if (c.in.read() < 0) throw new SocketException("closed without an answer");
      }).isInstanceOf(SocketException.class);
    }
    assertThat(upstream.requests()).isEmpty();
  }

  @Test
  void addsLatency() throws IOException {
    long latencyMs = 300;
    state.set(FaultRules.none().with(Service.S3, FaultRule.all("slow").withLatency(latencyMs, 0)));
    try (Client c = new Client()) {
      long t0 = System.nanoTime();
      c.send("GET /bucket/k HTTP/1.1\r\nHost: h\r\n\r\n");
      assertThat(c.read(false).head().status()).isEqualTo(200);
      assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(latencyMs);
    }
  }

  @Test
  void dribblesASlowBodyIntact() throws IOException {
    long pauseMs = 10;
    state.set(FaultRules.none().with(Service.S3, FaultRule.all("dribble").withSlowBodies(1, pauseMs)));
    String payload = "x".repeat(20 * FaultRule.SLOW_BODY_PIECE_BYTES);
    try (Client c = new Client()) {
      long t0 = System.nanoTime();
      c.send("PUT /bucket/k HTTP/1.1\r\nHost: h\r\nContent-Length: " + payload.length() + "\r\n\r\n" + payload);
      Response r = c.read(false);
      long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
      assertThat(r.body()).endsWith("\n\n" + payload);
      int pieces = r.body().length() / FaultRule.SLOW_BODY_PIECE_BYTES;
      assertThat(elapsedMs).isGreaterThanOrEqualTo((pieces - 1) * pauseMs);
    }
    assertThat(state.counts().of(Service.S3).rule("dribble").slowBodies()).isEqualTo(1);
  }

  @Test
  void reconnectsWhenTheUpstreamClosedAnIdleConnection() throws IOException {
    proxy.close();
    upstream.close();
    upstream = new EchoUpstream(true);
    proxy = FaultProxy.start(Service.S3, 0, upstream.uri(), state);
    try (Client c = new Client()) {
      for (int i = 0; i < 3; i++) {
        c.send("GET /bucket/k" + i + " HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(c.read(false).body()).startsWith("GET /bucket/k" + i);
      }
    }
    assertThat(upstream.connections()).isEqualTo(3);
  }

  @Test
  void drawsTheSameFaultsFromTheSameSeed() {
    FaultRules rules = FaultRules.seed(7).with(Service.DYNAMODB, FaultRule.all("half").withErrors(0.5));
    assertThat(outcomes(rules)).isEqualTo(outcomes(rules));
    assertThat(outcomes(rules)).isNotEqualTo(outcomes(new FaultRules(8, rules.services())));
    long errors = outcomes(rules).stream().filter(o -> o).count();
    assertThat(errors).isBetween(30L, 70L);
  }

  private List<Boolean> outcomes(FaultRules rules) {
    FaultState s = new FaultState();
    s.set(rules);
    Head request = new Head("POST / HTTP/1.1", List.of("X-Amz-Target: DynamoDB_20120810.GetItem"));
    List<Boolean> failed = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      failed.add(s.decide(Service.DYNAMODB, FaultDialect.of(Service.DYNAMODB), request, null).outcome()
          instanceof FaultState.Fail);
    }
    return failed;
  }

  /**
   * Answers every request with 200 and a body that echoes it: request line, header lines and raw body bytes; with
   * {@code closeAfterEach} it closes each connection after one answer, without saying so (as an idle timeout does).
   */
  private static final class EchoUpstream implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 0, InetAddress.getLoopbackAddress());
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    EchoUpstream(boolean closeAfterEach) throws IOException {
      Thread t = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            sockets.add(s);
            Thread c = new Thread(() -> serve(s, closeAfterEach));
            c.setDaemon(true);
            c.start();
          } catch (IOException e) {
            return;
          }
        }
      });
      t.setDaemon(true);
      t.start();
    }

    private void serve(Socket s, boolean closeAfterEach) {
      try (s) {
        InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        Head head;
        while ((head = HttpWire.readHead(in)) != null) {
          requests.add(head.startLine());
          byte[] raw = HttpWire.readBody(HttpWire.requestFraming(head), head, in);
          StringBuilder echo = new StringBuilder(head.startLine()).append('\n');
          head.headerLines().forEach(l -> echo.append(l).append('\n'));
          byte[] body = (echo.append('\n') + new String(raw, StandardCharsets.ISO_8859_1))
              .getBytes(StandardCharsets.ISO_8859_1);
          out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
          if (!head.isHead()) out.write(body);
          out.flush();
          if (closeAfterEach) return;
        }
      } catch (IOException e) {
        // the proxy closed the connection
      }
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    int connections() {
      return sockets.size();
    }

    List<String> requests() {
      return requests;
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : sockets) s.close();
    }
  }
}
