package audience.devstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devstack's control endpoint for the fault proxy, on a port of its own (named {@code faults} in
 * endpoints.json):
 *
 * <ul>
 *   <li>{@code GET /faults}: {@code {"rules": {...}, "counts": {...}}}, the rules in force ({@link FaultRules}) and
 *       what they did since they were set ({@link FaultCounts});</li>
 *   <li>{@code POST /faults} with rules as JSON: puts them in force, replacing all others, and answers them as
 *       read; 400 with {@code {"error": "..."}} when they are not valid;</li>
 *   <li>{@code DELETE /faults}: no rules any more (everything passes unchanged).</li>
 * </ul>
 */
final class FaultControl implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FaultControl.class);
  static final String PATH = "/faults";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int OK = 200;
  private static final int BAD_REQUEST = 400;
  private static final int NOT_FOUND = 404;
  private static final int METHOD_NOT_ALLOWED = 405;
  /** Let the system pick the control port: nothing needs to know it before it is bound (it is in endpoints.json). */
  private static final int ANY_PORT = 0;
  /** No backlog beyond the system default: a few test or CLI calls at a time. */
  private static final int DEFAULT_BACKLOG = 0;
  /** Wait this long for an exchange in progress when stopping. */
  private static final int STOP_DELAY_SECONDS = 1;

  private final HttpServer server;
  private final ExecutorService executor;
  private final FaultState state;

  private FaultControl(HttpServer server, ExecutorService executor, FaultState state) {
    this.server = server;
    this.executor = executor;
    this.state = state;
  }

  /** Serves {@code state}'s rules on a free port of 127.0.0.1. */
  static FaultControl start(FaultState state) throws IOException {
    HttpServer server = HttpServer.create(
        new InetSocketAddress(InetAddress.getByName(Support.LOOPBACK), ANY_PORT), DEFAULT_BACKLOG);
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fault-control");
      t.setDaemon(true);
      return t;
    });
    FaultControl control = new FaultControl(server, executor, state);
    server.createContext(PATH, control::handle);
    server.setExecutor(executor);
    server.start();
    log.info("fault control on {}", control.endpoint());
    return control;
  }

  /** Where {@code /faults} answers. */
  URI endpoint() {
    return URI.create("http://" + Support.LOOPBACK + ":" + server.getAddress().getPort() + PATH);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestURI().getPath().equals(PATH)) {
        answer(exchange, NOT_FOUND, error("no such path; use " + PATH));
        return;
      }
      switch (exchange.getRequestMethod()) {
        case "GET" -> answer(exchange, OK, view());
        case "POST" -> {
          FaultRules rules;
          try (InputStream in = exchange.getRequestBody()) {
            rules = FaultRules.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
          } catch (IllegalArgumentException e) {
            answer(exchange, BAD_REQUEST, error(e.getMessage()));
            return;
          }
          state.set(rules);
          answer(exchange, OK, view());
        }
        case "DELETE" -> {
          state.set(FaultRules.none());
          answer(exchange, OK, view());
        }
        default -> answer(exchange, METHOD_NOT_ALLOWED, error("use GET, POST or DELETE"));
      }
    }
  }

  private ObjectNode view() {
    ObjectNode out = JSON.createObjectNode();
    out.set("rules", state.rules().toTree());
    out.set("counts", JSON.valueToTree(state.counts()));
    return out;
  }

  private static ObjectNode error(String message) {
    return JSON.createObjectNode().put("error", message);
  }

  private static void answer(HttpExchange exchange, int status, ObjectNode body) throws IOException {
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(STOP_DELAY_SECONDS);
    executor.shutdownNow();
  }
}
