package audience.devstack;

import audience.devstack.DevStack.Service;
import audience.devstack.FaultState.Decision;
import audience.devstack.FaultState.Fail;
import audience.devstack.FaultState.Reset;
import audience.devstack.FaultState.SlowBody;
import audience.devstack.HttpWire.Framing;
import audience.devstack.HttpWire.Head;
import audience.devstack.HttpWire.Sink;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fault-injecting proxy in front of one emulator: listens on a port of 127.0.0.1 and forwards every HTTP/1.1
 * request and its answer byte for byte, unless a rule in the shared {@link FaultState} says to add latency, answer
 * with an error in the service's dialect ({@link FaultDialect}), reset the connection, or dribble the answer's body.
 *
 * <p>One thread per client connection, with one upstream connection of its own to the emulator: the client's
 * keep-alive and the emulator's match, and a blocking thread may simply sleep for the added latency. Requests are
 * read in full before they are forwarded only where the rule needs the body (SNS's form); otherwise they stream.
 *
 * <p>Two liberties, neither visible to an AWS SDK: the proxy answers {@code Expect: 100-continue} itself and does
 * not forward that header (it is not signed), so that it can read a body it then answers with an error; and an
 * HTTP/2 connection (prior knowledge; the Kinesis SDK's default) is tunnelled unchanged, without faults.
 */
final class FaultProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
  /** Connecting to an emulator on loopback takes microseconds; this much means it is gone. */
  private static final int UPSTREAM_CONNECT_TIMEOUT_MILLIS = 5_000;
  /**
   * How long the check for an idle upstream connection closed by the emulator waits for an end of stream (node
   * closes idle keep-alive connections after 5 s); an open connection just times out.
   */
  private static final int STALE_CHECK_TIMEOUT_MILLIS = 1;
  private static final int STREAM_BUFFER_BYTES = 16 * 1024;
  private static final int SWITCHING_PROTOCOLS = 101;
  private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final Service service;
  private final String name;
  private final FaultDialect dialect;
  private final URI upstream;
  private final FaultState state;
  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong connections = new AtomicLong();
  private volatile boolean closed;

  private FaultProxy(Service service, URI upstream, FaultState state, ServerSocket server) {
    this.service = service;
    this.name = FaultRules.key(service);
    this.dialect = FaultDialect.of(service);
    this.upstream = upstream;
    this.state = state;
    this.server = server;
  }

  /**
   * Listens on {@code port} of 127.0.0.1 in front of the emulator at {@code upstream}.
   *
   * @throws java.net.BindException when the port is taken
   */
  static FaultProxy start(Service service, int port, URI upstream, FaultState state) throws IOException {
    ServerSocket server = new ServerSocket();
    try {
      server.bind(new InetSocketAddress(InetAddress.getByName(Support.LOOPBACK), port));
    } catch (IOException e) {
      server.close();
      throw e;
    }
    FaultProxy proxy = new FaultProxy(service, upstream, state, server);
    Thread accept = new Thread(proxy::acceptLoop, "fault-proxy-" + proxy.name + "-accept");
    accept.setDaemon(true);
    accept.start();
    log.info("{} fault proxy on port {} in front of {}", proxy.name, server.getLocalPort(), upstream);
    return proxy;
  }

  Service service() {
    return service;
  }

  URI endpoint() {
    return URI.create("http://" + Support.LOOPBACK + ":" + server.getLocalPort());
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) log.warn("{} fault proxy stopped accepting: {}", name, e.toString());
        return;
      }
      open.add(client);
      Thread t = new Thread(() -> serve(client), "fault-proxy-" + name + "-" + connections.incrementAndGet());
      t.setDaemon(true);
      t.start();
    }
  }

  /** The upstream connection of one client connection, opened on first use and again after the emulator closed it. */
  private final class Upstream implements AutoCloseable {
    Socket socket;
    InputStream in;
    OutputStream out;
    /** Whether the current connection has carried no request yet (a failure on it is not a stale connection). */
    boolean fresh;

    /** An open connection: the current one unless the emulator closed it while idle. */
    void ensureOpen() throws IOException {
      if (socket != null && closedByPeer()) close();
      if (socket == null) {
        Socket s = new Socket();
        open.add(s);
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(upstream.getHost(), upstream.getPort()), UPSTREAM_CONNECT_TIMEOUT_MILLIS);
        socket = s;
        fresh = true;
        in = new BufferedInputStream(s.getInputStream(), STREAM_BUFFER_BYTES);
        out = new BufferedOutputStream(s.getOutputStream(), STREAM_BUFFER_BYTES);
      }
    }

    /** Whether an idle connection was closed by the emulator (or holds bytes nobody asked for). */
    private boolean closedByPeer() throws IOException {
      if (in.available() > 0) return true;
      socket.setSoTimeout(STALE_CHECK_TIMEOUT_MILLIS);
      try {
        in.read(); // an end of stream, or a byte no request asked for: either way the connection is done
        return true;
      } catch (SocketTimeoutException stillOpen) {
        return false;
      } catch (SocketException gone) {
        return true;
      } finally {
        if (!socket.isClosed()) socket.setSoTimeout(0);
      }
    }

    @Override
    public void close() {
      if (socket != null) {
        closeQuietly(socket);
        socket = null;
      }
    }
  }

  private void serve(Socket client) {
    try (Upstream up = new Upstream()) {
      client.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(client.getInputStream(), STREAM_BUFFER_BYTES);
      OutputStream out = new BufferedOutputStream(client.getOutputStream(), STREAM_BUFFER_BYTES);
      while (!closed) {
        Head request = HttpWire.readHead(in);
        if (request == null) return; // the client closed an idle connection
        if (request.startLine().equals(HttpWire.HTTP2_PREFACE_LINE)) {
          log.debug("{}: HTTP/2 connection tunnelled without faults", name);
          up.ensureOpen();
          up.out.write((HttpWire.HTTP2_PREFACE_LINE + "\r\n").getBytes(StandardCharsets.US_ASCII));
          tunnel(in, out, up);
          return;
        }
        if (request.hasToken("Expect", "100-continue")) {
          out.write(CONTINUE);
          out.flush();
          request = request.without("Expect");
        }
        if (!handle(request, in, out, up, client)) return;
      }
    } catch (IOException e) {
      log.debug("{}: connection ended: {}", name, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("{}: connection dropped after an unexpected failure", name, e);
    } finally {
      closeQuietly(client);
    }
  }

  /** Serves one request; false when the connection must end. */
  private boolean handle(Head request, InputStream in, OutputStream out, Upstream up, Socket client)
      throws IOException, InterruptedException {
    Framing framing = HttpWire.requestFraming(request);
    byte[] body = dialect.needsBody() ? HttpWire.readBody(framing, request, in) : null;
    Decision d = state.decide(service, dialect, request, body);
    if (d.latencyMs() > 0) Thread.sleep(d.latencyMs()); // the latency the rule adds, on this connection only
    if (d.outcome() instanceof Reset) {
      log.debug("{} rule '{}': connection reset on {}", name, d.rule(), d.operation());
      client.setSoLinger(true, 0); // close with RST: the client sees "connection reset", no answer
      return false;
    }
    if (d.outcome() instanceof Fail fail) {
      if (body == null) HttpWire.skipBody(framing, request, in);
      log.debug("{} rule '{}': {} ({}) on {}", name, d.rule(), fail.error().code(), fail.error().status(),
          d.operation());
      out.write(dialect.render(fail.error(), request).bytes(request.isHead()));
      out.flush();
      return !request.wantsClose();
    }
    long pauseMs = d.outcome() instanceof SlowBody slow ? slow.pauseMs() : 0;
    if (pauseMs > 0) log.debug("{} rule '{}': slow body on {}", name, d.rule(), d.operation());
    return forward(request, framing, body, in, out, up, pauseMs);
  }

  /**
   * Sends the request to the emulator and its answer back; with {@code pauseMs} above 0 the answer's body goes back
   * in small pieces. False when the connection must end.
   */
  private boolean forward(Head request, Framing framing, byte[] body, InputStream in, OutputStream out, Upstream up,
                          long pauseMs) throws IOException, InterruptedException {
    boolean replayable = body != null || framing == Framing.NONE;
    Head response;
    try {
      response = send(request, framing, body, in, up);
    } catch (IOException e) {
      if (!replayable || up.fresh) throw e;
      response = null; // written into a connection the emulator had just closed
    }
    if (response == null && replayable && !up.fresh) {
      // the emulator closed the idle connection just as the request went out: once more on a new one
      up.close();
      response = send(request, framing, body, in, up);
    }
    up.fresh = false;
    if (response == null) {
      log.debug("{}: the emulator closed the connection without answering {}", name, request.method());
      return false;
    }
    out.write(response.bytes());
    if (response.status() == SWITCHING_PROTOCOLS) {
      out.flush();
      tunnel(in, out, up);
      return false;
    }
    Framing answer = HttpWire.responseFraming(request, response);
    if (log.isTraceEnabled()) {
      log.trace("{}: {} request body {}, answer {} body {}", name, request.method(), framing, response.status(), answer);
    }
    HttpWire.copyBody(answer, response, up.in, pauseMs > 0 ? paced(out, pauseMs) : Sink.of(out));
    boolean keep = answer != Framing.UNTIL_CLOSE && !response.hasToken("Connection", "close")
        && !request.wantsClose();
    if (!keep) up.close();
    return keep;
  }

  /** Sends the request upstream; its answer's head (after any interim answer), or null if none came. */
  private static Head send(Head request, Framing framing, byte[] body, InputStream in, Upstream up)
      throws IOException {
    up.ensureOpen();
    up.out.write(request.bytes());
    if (body != null) {
      up.out.write(body);
    } else {
      HttpWire.copyBody(framing, request, in, Sink.of(up.out));
    }
    up.out.flush();
    Head response = HttpWire.readHead(up.in);
    while (response != null && response.status() / 100 == 1 && response.status() != SWITCHING_PROTOCOLS) {
      response = HttpWire.readHead(up.in); // an interim answer: the client was answered 100 Continue already
    }
    return response;
  }

  /** A sink that sends {@link FaultRule#SLOW_BODY_PIECE_BYTES} at a time, {@code pauseMs} apart. */
  private static Sink paced(OutputStream out, long pauseMs) {
    return new Sink() {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i += FaultRule.SLOW_BODY_PIECE_BYTES) {
          out.write(b, i, Math.min(FaultRule.SLOW_BODY_PIECE_BYTES, off + len - i));
          out.flush();
          try {
            Thread.sleep(pauseMs); // the slowness itself
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending a slow body", e);
          }
        }
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }
    };
  }

  /** Copies bytes both ways until either side closes (HTTP/2, or after 101 Switching Protocols). */
  private void tunnel(InputStream in, OutputStream out, Upstream up) throws IOException, InterruptedException {
    up.out.flush();
    out.flush();
    Socket upstreamSocket = up.socket;
    Thread toUpstream = new Thread(() -> {
      try {
        HttpWire.copyBody(Framing.UNTIL_CLOSE, null, in, Sink.of(up.out));
        upstreamSocket.shutdownOutput();
      } catch (IOException e) {
        closeQuietly(upstreamSocket);
      }
    }, Thread.currentThread().getName() + "-tunnel");
    toUpstream.setDaemon(true);
    toUpstream.start();
    try {
      HttpWire.copyBody(Framing.UNTIL_CLOSE, null, up.in, Sink.of(out));
    } finally {
      closeQuietly(upstreamSocket);
      toUpstream.join();
    }
  }

  private void closeQuietly(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** Stops listening and closes every connection. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket s : open) closeQuietly(s);
    log.info("{} fault proxy on port {} stopped", name, server.getLocalPort());
  }
}
