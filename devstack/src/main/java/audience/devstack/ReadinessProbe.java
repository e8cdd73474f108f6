package audience.devstack;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to tell that an emulator serves, as data: one cheap real HTTP request and the answer that counts. The generic
 * loop in {@link EmulatorLauncher} sends it until it gets that answer or the timeout passes.
 *
 * <p>The request goes on a connection closed right after: an idle keep-alive connection would hold kinesis-local's
 * graceful shutdown for 30 s.
 *
 * @param emulator the emulator's name, for logs and errors
 * @param port where it listens on 127.0.0.1
 * @param method {@code GET} or {@code POST}
 * @param headers extra request headers
 * @param body the request body; null for none
 * @param expect which answer shows it is ready
 * @param timeout how long after its start it may take to answer
 */
record ReadinessProbe(String emulator, int port, String method, Map<String, String> headers, String body,
    Expect expect, Duration timeout) {
  private static final int CONNECT_TIMEOUT_MILLIS = 1000;
  private static final int READ_TIMEOUT_MILLIS = 5000;
  private static final int HTTP_OK = 200;

  /** Which answer shows the emulator is ready. */
  enum Expect {
    /** Any HTTP answer, even an auth error: it is serving requests. */
    ANY_STATUS,
    /** 200: the request itself must succeed. */
    OK
  }

  ReadinessProbe {
    headers = Map.copyOf(headers);
  }

  /** {@code GET /}, any answer. */
  static ReadinessProbe get(String emulator, int port, Duration timeout) {
    return new ReadinessProbe(emulator, port, "GET", Map.of(), null, Expect.ANY_STATUS, timeout);
  }

  /** An AWS JSON-protocol call ({@code X-Amz-Target}) with an empty object, any answer. */
  static ReadinessProbe awsJson(String emulator, int port, String target, String jsonVersion, Duration timeout) {
    return new ReadinessProbe(emulator, port, "POST",
        Map.of("X-Amz-Target", target, "Content-Type", "application/x-amz-json-" + jsonVersion), "{}",
        Expect.ANY_STATUS, timeout);
  }

  /** An AWS query-protocol call (a form body); it must succeed. */
  static ReadinessProbe awsQuery(String emulator, int port, String form, Duration timeout) {
    return new ReadinessProbe(emulator, port, "POST", Map.of("Content-Type", "application/x-www-form-urlencoded"),
        form, Expect.OK, timeout);
  }

  boolean accepts(int status) {
    return expect == Expect.ANY_STATUS || status == HTTP_OK;
  }

  /**
   * Sends the request once.
   *
   * @return the HTTP status code
   * @throws IOException when nothing answers, or the answer is not HTTP
   */
  int send() throws IOException {
    byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    Map<String, String> all = new LinkedHashMap<>();
    all.put("Host", Support.LOOPBACK + ":" + port);
    all.put("Connection", "close");
    all.putAll(headers);
    if (body != null) {
      all.put("Content-Length", Integer.toString(payload.length));
    }
    StringBuilder req = new StringBuilder(method).append(" / HTTP/1.1\r\n");
    all.forEach((name, value) -> req.append(name).append(": ").append(value).append("\r\n"));
    req.append("\r\n");
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(Support.LOOPBACK, port), CONNECT_TIMEOUT_MILLIS);
      socket.setSoTimeout(READ_TIMEOUT_MILLIS);
      OutputStream out = socket.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
      out.write(payload);
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      String statusLine = in.readLine();
      if (statusLine == null || !statusLine.startsWith("HTTP/")) {
        throw new IOException("not an HTTP answer: " + statusLine);
      }
      String[] parts = statusLine.split(" ", 3);
      try {
        return Integer.parseInt(parts[1]);
      } catch (RuntimeException e) {
        throw new IOException("bad HTTP status line: " + statusLine, e);
      }
    }
  }
}
