package audience.graphql;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.bookings.Booking;
import audience.config.Settings;
import audience.graphql.ws.RawSocket;
import audience.http.HttpServer;
import audience.http.JsonSupport;
import audience.ingestion.IngestionStatus;
import audience.store.RunPhase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Subscriptions over a real WebSocket at /graphql against an in-memory backend: a booking's every status in order up
 * to its terminal one (however fast it moves between polls), a run's changes until it completed, queries over the
 * socket, NOT_FOUND as an error message, the per-connection cap, the token in the payload or the upgrade's header,
 * and each close code of the protocol with a raw client, a new connection served after each refusal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GraphQlWsTest {
  private static final String PROTOCOL = "graphql-transport-ws";
  private static final int CAP = 2;
  private static final ObjectMapper JSON = JsonSupport.mapper();
  private static final String BOOKING = "b-" + "0".repeat(19) + "1";
  private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
  private ActorSystem<Void> system;
  private FakeBackend backend;
  private String url;
  private String http;
  private String viewer;

  @BeforeAll
  void start() {
    system = ActorSystem.create(Behaviors.empty(), "graphql-ws-test",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    backend = new FakeBackend(1, 0);
    Settings s = Settings.load(Map.of("audience.api.subscriptions.poll-interval", "50ms",
        "audience.api.subscriptions.connection-init-timeout", "3s",
        "audience.api.subscriptions.max-per-connection", CAP,
        "audience.api.subscriptions.max-message-size", "4 KiB"));
    var binding = HttpServer.start(system, new Settings.HttpSettings("127.0.0.1", 0, ""),
        GraphQlRoutes.of(backend, s).routes());
    url = "ws://127.0.0.1:" + binding.localAddress().getPort() + "/graphql";
    http = "http://127.0.0.1:" + binding.localAddress().getPort() + "/graphql";
    viewer = new TokenIssuer(s.api().jwt()).mint("vera", Role.VIEWER, Instant.now());
  }

  @AfterAll
  void stop() {
    if (system != null) system.terminate();
  }

  private static Booking booking(String id, Booking.Status... statuses) {
    List<Booking.Transition> history = new ArrayList<>();
    for (int i = 0; i < statuses.length; i++) history.add(new Booking.Transition(statuses[i], T0.plusSeconds(i)));
    Booking.Status now = statuses[statuses.length - 1];
    return new Booking(id, "s-000", "spring", LocalDate.of(2030, 1, 1), "alice", T0, FakeBackend.GENERATION, "k", now,
        T0.plusSeconds(statuses.length), 0, "", null, Map.of(), null, "", false, history);
  }

  private static IngestionStatus run(String id, RunPhase phase, long listed, long ingested, double rate) {
    return new IngestionStatus(id, "raw", "p/", phase, 10, listed, listed == 10, ingested, ingested, 0, 1, "",
        T0, phase == RunPhase.COMPLETED ? T0.plusSeconds(9) : null, "", rate, -1, "", null);
  }

  private RawSocket connected() throws Exception {
    RawSocket c = RawSocket.open(url, PROTOCOL);
    c.send(json(Map.of("type", "connection_init", "payload", Map.of("authorization", "Bearer " + viewer))));
    assertThat(type(c.next())).isEqualTo("connection_ack");
    return c;
  }

  private static String json(Object o) throws Exception {
    return JSON.writeValueAsString(o);
  }

  private static String type(String message) throws Exception {
    assertThat(message).as("a message arrived").isNotNull();
    return JSON.readTree(message).path("type").asText();
  }

  private static String subscribe(String id, String query, Map<String, Object> variables) throws Exception {
    return json(Map.of("id", id, "type", "subscribe", "payload", Map.of("query", query, "variables", variables)));
  }

  /** Messages of the socket until the operation's complete or error (included). */
  private static List<JsonNode> untilEnd(RawSocket c) throws Exception {
    List<JsonNode> all = new ArrayList<>();
    while (true) {
      String m = c.next();
      assertThat(m).as("messages so far: " + all).isNotNull();
      JsonNode n = JSON.readTree(m);
      if (n.path("type").asText().equals("ping")) continue;
      all.add(n);
      if (!n.path("type").asText().equals("next")) return all;
    }
  }

  private void servedAfterwards() throws Exception {
    RawSocket c = connected();
    c.send(subscribe("q", "{ me { subject } }", Map.of()));
    List<JsonNode> m = untilEnd(c);
    assertThat(m.get(0).path("payload").path("data").path("me").path("subject").asText()).isEqualTo("vera");
    assertThat(m.get(1).path("type").asText()).isEqualTo("complete");
  }

  @Test
  void aBookingsTransitionsArriveInOrderUpToItsTerminalStatusAndTheSubscriptionCompletes() throws Exception {
    String id = "b-" + "0".repeat(19) + "2";
    backend.entities.put(id, booking(id, Booking.Status.REQUESTED, Booking.Status.GENERATING));
    RawSocket c = connected();
    c.send(subscribe("s1", "subscription($id: ID!) { bookingChanged(id: $id) { bookingId status sequence terminal "
        + "booking { status segment { id } history { status } } } }", Map.of("id", id)));
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      JsonNode n = JSON.readTree(c.next());
      assertThat(n.path("type").asText()).as(n.toString()).isEqualTo("next");
      seen.add(n.path("payload").path("data").path("bookingChanged").path("status").asText());
    }
    assertThat(seen).as("the transitions already made first").containsExactly("REQUESTED", "GENERATING");
    // three more statuses between two polls: none is skipped
    backend.entities.put(id, booking(id, Booking.Status.REQUESTED, Booking.Status.GENERATING,
        Booking.Status.GENERATED, Booking.Status.UPLOADING, Booking.Status.UPLOADED));
    backend.entities.put(id, booking(id, Booking.Status.REQUESTED, Booking.Status.GENERATING,
        Booking.Status.GENERATED, Booking.Status.UPLOADING, Booking.Status.UPLOADED, Booking.Status.NOTIFIED));
    List<JsonNode> rest = untilEnd(c);
    assertThat(rest.get(rest.size() - 1).path("type").asText()).isEqualTo("complete");
    List<JsonNode> events = rest.subList(0, rest.size() - 1).stream()
        .map(n -> n.path("payload").path("data").path("bookingChanged")).toList();
    assertThat(events.stream().map(e -> e.path("status").asText()).toList())
        .containsExactly("GENERATED", "UPLOADING", "UPLOADED", "NOTIFIED");
    assertThat(events.stream().map(e -> e.path("sequence").asInt()).toList()).containsExactly(3, 4, 5, 6);
    assertThat(events.get(3).path("terminal").asBoolean()).isTrue();
    assertThat(events.get(0).path("terminal").asBoolean()).isFalse();
    assertThat(events.get(3).path("booking").path("history")).hasSize(6);
    assertThat(events.get(3).path("booking").path("segment").path("id").asText()).as("data loaders serve events")
        .isEqualTo("s-000");
    assertThat(c.isClosed()).as("the connection stays after the operation completes").isFalse();
  }

  @Test
  void aFailedBookingsSubscriptionCompletesOnceItsFailureNotificationIsSent() throws Exception {
    String id = "b-" + "0".repeat(19) + "6";
    Booking failed = booking(id, Booking.Status.REQUESTED, Booking.Status.GENERATING, Booking.Status.FAILED);
    backend.entities.put(id, failed);
    RawSocket c = connected();
    c.send(subscribe("f", "subscription($id: ID!) { bookingChanged(id: $id) { status terminal } }",
        Map.of("id", id)));
    List<String> statuses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      statuses.add(JSON.readTree(c.next()).path("payload").path("data").path("bookingChanged").path("status")
          .asText());
    }
    assertThat(statuses).containsExactly("REQUESTED", "GENERATING", "FAILED");
    assertThat(c.within(Duration.ofMillis(300))).as("no complete while the notification is due").isEmpty();
    backend.entities.put(id, new Booking(id, failed.segmentId(), failed.campaign(), failed.sendDate(),
        failed.requestedBy(), failed.createdAt(), failed.generationId(), failed.metadataKey(), failed.status(),
        failed.updatedAt(), 0, "", null, Map.of(), null, "platform down", true, failed.history()));
    assertThat(untilEnd(c)).singleElement().satisfies(n -> assertThat(n.path("type").asText()).isEqualTo("complete"));
  }

  @Test
  void aRunsProgressIsSentOnChangeUntilItCompleted() throws Exception {
    String id = "ws-run-1";
    backend.runs.put(id, run(id, RunPhase.RUNNING, 4, 2, 1.0));
    RawSocket c = connected();
    c.send(subscribe("r", "subscription($id: ID!) { runProgress(id: $id) { id phase listed ingested "
        + "progress { settled listingFinished } } }", Map.of("id", id)));
    JsonNode first = JSON.readTree(c.next()).path("payload").path("data").path("runProgress");
    assertThat(first.path("phase").asText()).isEqualTo("RUNNING");
    assertThat(first.path("ingested").asInt()).isEqualTo(2);
    backend.runs.put(id, run(id, RunPhase.RUNNING, 4, 2, 7.5)); // only the rate moved: nothing is sent
    assertThat(c.within(Duration.ofMillis(400))).isEmpty();
    backend.runs.put(id, run(id, RunPhase.RUNNING, 10, 6, 7.5));
    JsonNode second = JSON.readTree(c.next()).path("payload").path("data").path("runProgress");
    assertThat(second.path("listed").asInt()).isEqualTo(10);
    assertThat(second.path("progress").path("listingFinished").asBoolean()).isTrue();
    backend.runs.put(id, run(id, RunPhase.COMPLETED, 10, 10, 7.5));
    List<JsonNode> rest = untilEnd(c);
    assertThat(rest).hasSize(2);
    assertThat(rest.get(0).path("payload").path("data").path("runProgress").path("phase").asText())
        .isEqualTo("COMPLETED");
    assertThat(rest.get(1).path("type").asText()).isEqualTo("complete");
  }

  @Test
  void anUnknownIdIsAnErrorMessageWithNotFoundAndTheConnectionServesOn() throws Exception {
    RawSocket c = connected();
    c.send(subscribe("u", "subscription { bookingChanged(id: \"" + BOOKING.replace('1', '9') + "\") { status } }",
        Map.of()));
    List<JsonNode> m = untilEnd(c);
    assertThat(m).hasSize(1);
    assertThat(m.get(0).path("type").asText()).isEqualTo("error");
    assertThat(m.get(0).path("id").asText()).isEqualTo("u");
    assertThat(m.get(0).path("payload").path(0).path("extensions").path("code").asText()).isEqualTo("NOT_FOUND");
    c.send(subscribe("r", "subscription { runProgress(id: \"no-such-run\") { phase } }", Map.of()));
    assertThat(untilEnd(c).get(0).path("payload").path(0).path("extensions").path("code").asText())
        .isEqualTo("NOT_FOUND");
    c.send(subscribe("v", "subscription { nothing }", Map.of()));
    assertThat(untilEnd(c).get(0).path("payload").path(0).path("extensions").path("code").asText())
        .isEqualTo("VALIDATION_FAILED");
    c.send(subscribe("q", "{ me { role } }", Map.of()));
    List<JsonNode> q = untilEnd(c);
    assertThat(q.get(0).path("payload").path("data").path("me").path("role").asText()).isEqualTo("VIEWER");
    assertThat(q.get(1).path("type").asText()).isEqualTo("complete");
  }

  @Test
  void operationsBeyondTheCapAreRefusedAndACompletedOneFreesItsPlace() throws Exception {
    String id = "b-" + "0".repeat(19) + "3";
    backend.entities.put(id, booking(id, Booking.Status.REQUESTED));
    RawSocket c = connected();
    String q = "subscription($id: ID!) { bookingChanged(id: $id) { status } }";
    c.send(subscribe("a", q, Map.of("id", id)));
    c.send(subscribe("b", q, Map.of("id", id)));
    c.send(subscribe("c", q, Map.of("id", id)));
    List<JsonNode> got = new ArrayList<>();
    while (got.stream().noneMatch(n -> n.path("type").asText().equals("error"))) got.add(JSON.readTree(c.next()));
    JsonNode error = got.stream().filter(n -> n.path("type").asText().equals("error")).findFirst().orElseThrow();
    assertThat(error.path("id").asText()).isEqualTo("c");
    assertThat(error.path("payload").path(0).path("extensions").path("code").asText())
        .isEqualTo("TOO_MANY_SUBSCRIPTIONS");
    c.send(json(Map.of("id", "a", "type", "complete")));
    c.send(subscribe("d", q, Map.of("id", id)));
    String next;
    do {
      next = c.next();
    } while (next != null && !JSON.readTree(next).path("id").asText().equals("d"));
    assertThat(type(next)).isEqualTo("next");
  }

  @Test
  void aClientsCloseIsAnsweredAtOnceAndStopsItsSubscriptions() throws Exception {
    String id = "b-" + "0".repeat(19) + "5";
    backend.entities.put(id, booking(id, Booking.Status.REQUESTED));
    RawSocket c = connected();
    c.send(subscribe("s", "subscription($id: ID!) { bookingChanged(id: $id) { status } }", Map.of("id", id)));
    assertThat(type(c.next())).isEqualTo("next");
    c.ws().sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "bye").get();
    assertThat(c.closeCode(Duration.ofSeconds(5))).as("the server answers the close frame")
        .isEqualTo(java.net.http.WebSocket.NORMAL_CLOSURE);
    int polls = backend.bookingReads.get(id).get();
    assertThat(c.within(Duration.ofMillis(300))).isEmpty(); // six poll intervals: a running subscription polls
    assertThat(backend.bookingReads.get(id).get()).as("the subscription stopped polling").isEqualTo(polls);
  }

  @Test
  void theTokenMayComeAsTheUpgradesHeader() throws Exception {
    RawSocket c = RawSocket.open(url, Map.of("Authorization", "Bearer " + viewer), PROTOCOL);
    c.send("{\"type\":\"connection_init\"}");
    assertThat(type(c.next())).isEqualTo("connection_ack");
  }

  @Test
  void pingIsAnsweredWithPong() throws Exception {
    RawSocket c = RawSocket.open(url, PROTOCOL);
    c.send("{\"type\":\"ping\",\"payload\":{\"n\":1}}");
    JsonNode pong = JSON.readTree(c.next());
    assertThat(pong.path("type").asText()).isEqualTo("pong");
    assertThat(pong.path("payload").path("n").asInt()).isEqualTo(1);
  }

  @Test
  void eachRefusalClosesWithItsCodeAndTheNextConnectionIsServed() throws Exception {
    RawSocket badToken = RawSocket.open(url, PROTOCOL);
    badToken.send("{\"type\":\"connection_init\",\"payload\":{\"authorization\":\"Bearer not-a-jwt\"}}");
    assertThat(badToken.closeCode()).isEqualTo(4403);
    servedAfterwards();

    RawSocket noToken = RawSocket.open(url, PROTOCOL);
    noToken.send("{\"type\":\"connection_init\"}");
    assertThat(noToken.closeCode()).isEqualTo(4403);

    RawSocket early = RawSocket.open(url, PROTOCOL);
    early.send(subscribe("1", "{ me { role } }", Map.of()));
    assertThat(early.closeCode()).isEqualTo(4401);
    servedAfterwards();

    RawSocket silent = RawSocket.open(url, PROTOCOL);
    assertThat(silent.closeCode()).isEqualTo(4408);
    servedAfterwards();

    String id = "b-" + "0".repeat(19) + "4";
    backend.entities.put(id, booking(id, Booking.Status.REQUESTED));
    RawSocket dup = connected();
    dup.send(subscribe("x", "subscription($id: ID!) { bookingChanged(id: $id) { status } }", Map.of("id", id)));
    dup.send(subscribe("x", "subscription($id: ID!) { bookingChanged(id: $id) { status } }", Map.of("id", id)));
    assertThat(dup.closeCode()).isEqualTo(4409);
    servedAfterwards();

    RawSocket twice = connected();
    twice.send(json(Map.of("type", "connection_init", "payload", Map.of("authorization", "Bearer " + viewer))));
    assertThat(twice.closeCode()).isEqualTo(4429);
    servedAfterwards();

    RawSocket garbage = connected();
    garbage.send("this is not a message");
    assertThat(garbage.closeCode()).isEqualTo(4400);
    servedAfterwards();

    RawSocket big = connected();
    big.send(subscribe("b", "{ me { role } }" + " ".repeat(5_000), Map.of()));
    assertThat(big.closeCode()).isEqualTo(1009);
    servedAfterwards();
  }

  @Test
  void anUpgradeWithoutTheSubprotocolIsRefused400() {
    Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> RawSocket.open(url));
    Throwable cause = refused;
    while (cause != null && !(cause instanceof java.net.http.WebSocketHandshakeException)) cause = cause.getCause();
    assertThat(cause).as(String.valueOf(refused)).isInstanceOf(java.net.http.WebSocketHandshakeException.class);
    assertThat(((java.net.http.WebSocketHandshakeException) cause).getResponse().statusCode()).isEqualTo(400);
  }

  @Test
  void aSubscriptionOverHttpIsRefused() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(http))
        .header("Authorization", "Bearer " + viewer).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json(Map.of("query",
            "subscription { runProgress(id: \"r\") { phase } }")))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(r.body()).path("errors").path(0).path("extensions").path("code").asText())
        .isEqualTo("BAD_REQUEST");
  }
}
