package audience.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The load's closed loop against a small local GraphQL stand-in (the JDK's HTTP server answering canned shapes): how
 * many connections it opens, what it books, cancels and reads, what it counts, and what a failed booking does.
 */
class ApiLoadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String REFUSED_TOKEN = "t-1";
  private static final List<String> SEGMENTS = List.of("s-a", "s-b", "s-c", "s-d", "s-e");
  private static final LocalDate FIRST = LocalDate.of(2026, 12, 1);
  /** Long enough for a cold JVM's first requests on a busy machine. */
  private static final Duration WINDOW = Duration.ofSeconds(2);

  private HttpServer server;
  private ExecutorService serverThreads;
  private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
  private final List<String> booked = Collections.synchronizedList(new ArrayList<>());
  private final List<String> cancelled = Collections.synchronizedList(new ArrayList<>());
  private final List<String> read = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    serverThreads = Executors.newFixedThreadPool(8);
    server.setExecutor(serverThreads);
    server.createContext("/graphql", this::answer);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
    serverThreads.shutdownNow();
  }

  private void answer(HttpExchange exchange) throws IOException {
    clientPorts.add(exchange.getRemoteAddress().getPort());
    JsonNode request = JSON.readTree(exchange.getRequestBody().readAllBytes());
    String query = request.path("query").asText();
    JsonNode vars = request.path("variables");
    String token = exchange.getRequestHeaders().getFirst("Authorization").substring("Bearer ".length());
    ObjectNode data = JSON.createObjectNode();
    String op;
    if (query.contains("bookSegment")) {
      op = "book";
      ObjectNode payload = data.putObject("bookSegment");
      if (token.equals(REFUSED_TOKEN)) {
        payload.putNull("booking");
        payload.putObject("error").put("code", "ALREADY_BOOKED").put("message", "taken");
      } else {
        String id = "b-" + ids.incrementAndGet();
        booked.add(id + " " + vars.path("in").path("segmentId").asText() + " " + vars.path("in").path("sendDate").asText());
        payload.putObject("booking").put("id", id);
        payload.putNull("error");
      }
    } else if (query.contains("cancelBooking")) {
      op = "cancel";
      cancelled.add(vars.path("id").asText());
      data.putObject("cancelBooking").putNull("error").putObject("booking").put("id", vars.path("id").asText());
    } else if (query.contains("booking(")) {
      op = "booking";
      read.add(vars.path("id").asText());
      data.putObject("booking").put("id", vars.path("id").asText());
    } else if (query.contains("segments(")) {
      op = "segments";
      data.putObject("segments").putArray("edges").addObject().put("cursor", "c").putObject("node").put("id", "s-a");
    } else {
      op = "me";
      data.putObject("me").put("subject", token);
    }
    served.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
    byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().set("data", data));
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  private ApiLoad load(List<String> tokens) {
    URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/graphql");
    List<String> cursors = new ArrayList<>();
    cursors.add(null);
    cursors.add("c-50");
    return new ApiLoad(endpoint, tokens, new ApiLoad.Plan(cursors, 50, SEGMENTS, FIRST, "bench-api"),
        Duration.ofSeconds(5));
  }

  private int served(String op) {
    return served.getOrDefault(op, new AtomicInteger()).get();
  }

  @Test
  void withoutWarmUpEveryRequestServedIsCountedOverExactlyNConnections() throws Exception {
    ApiLoad.Phase phase = load(List.of("t-0", "t-2", "t-3")).run("mix", ApiBenchmark.MIX, Duration.ZERO,
        WINDOW);
    assertThat(clientPorts).as("one connection per token, kept alive").hasSize(3);
    assertThat(phase.window()).isEqualTo(WINDOW);
    assertThat(phase.of(ApiOperation.SEGMENTS_PAGE).requests()).isEqualTo(served("segments")).isPositive();
    assertThat(phase.of(ApiOperation.BOOK_SEGMENT).requests()).isEqualTo(served("book")).isPositive();
    assertThat(phase.of(ApiOperation.BOOKING).requests()).isEqualTo(served("booking"));
    assertThat(phase.of(ApiOperation.CANCEL_BOOKING).requests()).isEqualTo(served("cancel"));
    assertThat(ApiSamples.merge(phase.samples().values()).errorCount()).isZero();
    // every cancel and detail is of a booking the same run made; no two bookings share a (segment, date)
    List<String> bookedIds = booked.stream().map(b -> b.split(" ")[0]).toList();
    assertThat(bookedIds).containsAll(cancelled).containsAll(read);
    assertThat(booked.stream().map(b -> b.substring(b.indexOf(' '))).distinct().count()).isEqualTo(booked.size());
    assertThat(cancelled).doesNotHaveDuplicates();
  }

  @Test
  void theWarmUpIsServedButNotCounted() throws Exception {
    ApiLoad.Phase phase = load(List.of("t-0", "t-2")).run("baseline", List.of(ApiOperation.ME), WINDOW,
        WINDOW);
    long counted = phase.of(ApiOperation.ME).requests();
    assertThat(counted).isPositive().isLessThan(served("me"));
    assertThat(phase.samples().keySet()).containsExactly(ApiOperation.ME);
  }

  @Test
  void aRefusedBookingIsAnErrorAndLeavesNothingToReadOrCancel() throws Exception {
    ApiLoad.Phase phase = load(List.of(REFUSED_TOKEN)).run("mix", ApiBenchmark.MIX, Duration.ZERO,
        WINDOW);
    ApiSamples books = phase.of(ApiOperation.BOOK_SEGMENT);
    assertThat(books.requests()).isPositive();
    assertThat(books.errors()).isEqualTo(Map.of("ALREADY_BOOKED", books.requests()));
    assertThat(phase.of(ApiOperation.CANCEL_BOOKING).requests()).isZero();
    assertThat(phase.of(ApiOperation.CANCEL_BOOKING).skipped()).isPositive();
    assertThat(phase.of(ApiOperation.BOOKING).skipped()).isPositive();
    assertThat(served("cancel") + served("booking")).isZero();
  }
}
