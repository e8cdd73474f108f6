package audience.graphql;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.bookings.Booking;
import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.graphql.ws.RawSocket;
import audience.http.HttpServer;
import audience.http.JsonSupport;
import audience.ingestion.IngestionDone;
import audience.ingestion.RunSpec;
import audience.segments.SegmentGenerator;
import audience.service.AudienceNode;
import audience.store.SegmentStore;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Subscriptions against a node on the devstack, driven through the reference graphql-ws client (npm graphql-ws,
 * devstack/graphql-ws-client.mjs): a run's progress until it completed, a booking's transitions in order from
 * requested to notified through the EDM sandbox; and the protocol's refusals (4403 with the reference client; 4401,
 * 4408, 4409, 4429, 4400 with a raw java.net.http client), a new connection served after each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GraphQlWsIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final int FILES = 800;
  private static final String RUN = "gqlws-run";
  private static final String PROTOCOL = "graphql-transport-ws";
  private static final ObjectMapper JSON = JsonSupport.mapper();
  private AudienceNode node;
  private String url;
  private String viewer;
  private Path devstackDir;
  private List<JsonNode> runEvents;

  @BeforeAll
  void start() throws Exception {
    DevStack devstack = DevStack.shared();
    devstack.edmSandbox().reset();
    devstackDir = DevStack.locateDir();
    DevStack.ensureNodeModules(devstackDir);
    node = AudienceNode.start(TestNodes.settings(devstack, Map.ofEntries(
        Map.entry("audience.segments.min-audience", 3),
        Map.entry("audience.segments.stream.reader.idle-poll", "100ms"),
        Map.entry("audience.bookings.creator.zone", "UTC"),
        Map.entry("audience.bookings.upload.chunk-size", 4),
        Map.entry("audience.bookings.upload.min-backoff", "50ms"),
        Map.entry("audience.bookings.upload.max-backoff", "200ms"),
        Map.entry("audience.bookings.upload.poll-interval", "50ms"),
        Map.entry("audience.api.subscriptions.poll-interval", "100ms"),
        Map.entry("audience.api.subscriptions.connection-init-timeout", "2s"))));
    var binding = HttpServer.start(node.system(), new audience.config.Settings.HttpSettings("127.0.0.1", 0, ""),
        GraphQlRoutes.of(ApiBackend.of(node.wiring().ingestion(), node.wiring().segments(), node.wiring().bookings(),
            node.dependencies().quarantine()), node.settings()).routes());
    url = "ws://127.0.0.1:" + binding.localAddress().getPort() + "/graphql";
    viewer = new TokenIssuer(node.settings().api().jwt()).mint("vera", Role.VIEWER, Instant.now());

    String bucket = node.settings().resources().rawBucket();
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(FILES, 0, 13L, bucket, "gqlws/", 0.0));
    new DatasetWriter().write(node.aws().s3(), generator, 16, n -> {}).join();
    TestProbe<IngestionDone> done = TestProbe.create(node.system());
    node.wiring().doneTopic().tell(Topic.subscribe(done.getRef()));
    node.wiring().ingestion().start(new RunSpec(RUN, bucket, "gqlws/", generator.files(), "test"))
        .toCompletableFuture().join();
    // the reference client follows the run from now until it completed
    runEvents = client(viewer, "subscription($id: ID!) { runProgress(id: $id) { id phase listed ingested quarantined "
        + "warning stallReason completedAt progress { settled listingFinished chunksInFlight } } }",
        Map.of("id", RUN)).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    done.fishForMessage(TIMEOUT, m -> m.runId().equals(RUN)
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    Poll.until("segments generated and latest", TIMEOUT, Duration.ofMillis(200),
        () -> node.wiring().segments().status(RUN).toCompletableFuture().join().orElse(null),
        v -> v != null && v.phase() == SegmentGenerator.Phase.COMPLETED && v.latest());
  }

  @AfterAll
  void stop() {
    if (node != null) node.close();
  }

  /**
   * Runs the reference client for one operation; answers every line it printed (connected, next, error, complete,
   * closed) once it exited.
   */
  private CompletableFuture<List<JsonNode>> client(String token, String query, Map<String, Object> variables)
      throws Exception {
    Process p = new ProcessBuilder("node", devstackDir.resolve("graphql-ws-client.mjs").toString(), url,
        token == null ? "" : token, query, JSON.writeValueAsString(variables))
        .directory(devstackDir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return CompletableFuture.supplyAsync(() -> {
      List<JsonNode> lines = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) lines.add(JSON.readTree(line));
        if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) p.destroyForcibly();
      } catch (Exception e) {
        p.destroyForcibly();
        throw new IllegalStateException("the graphql-ws client failed after " + lines, e);
      }
      return lines;
    }).orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS).whenComplete((l, e) -> p.destroyForcibly());
  }

  private static List<String> events(List<JsonNode> lines) {
    return lines.stream().map(n -> n.path("event").asText()).toList();
  }

  private static List<JsonNode> nexts(List<JsonNode> lines, String field) {
    return lines.stream().filter(n -> n.path("event").asText().equals("next"))
        .map(n -> n.path("payload").path("data").path(field)).toList();
  }

  private void servedAfterwards() throws Exception {
    List<JsonNode> lines = client(viewer, "{ me { subject role } }", Map.of()).get(TIMEOUT.toSeconds(),
        TimeUnit.SECONDS);
    assertThat(events(lines)).as(lines.toString()).containsExactly("connected", "next", "complete", "closed");
    assertThat(nexts(lines, "me").get(0).path("role").asText()).isEqualTo("VIEWER");
  }

  @Test
  void aRunsProgressArrivesUntilItCompletedThenTheSubscriptionCompletes() {
    assertThat(events(runEvents)).as(runEvents.toString()).startsWith("connected").endsWith("complete", "closed");
    List<JsonNode> progress = nexts(runEvents, "runProgress");
    assertThat(progress).isNotEmpty();
    JsonNode last = progress.get(progress.size() - 1);
    assertThat(last.path("phase").asText()).isEqualTo("COMPLETED");
    assertThat(last.path("ingested").asInt() + last.path("quarantined").asInt()).isEqualTo(FILES);
    assertThat(progress.subList(0, progress.size() - 1)).allSatisfy(p ->
        assertThat(p.path("phase").asText()).isNotEqualTo("COMPLETED"));
    List<Integer> settled = progress.stream().map(p -> p.path("progress").path("settled").asInt()).toList();
    assertThat(settled).as("progress never goes back").isSortedAccordingTo(Comparator.naturalOrder());
    for (int i = 1; i < progress.size(); i++) {
      assertThat(progress.get(i)).as("only changes are sent").isNotEqualTo(progress.get(i - 1));
    }
  }

  @Test
  void aBookingsTransitionsArriveInOrderFromRequestedToNotified() throws Exception {
    SegmentStore.SegmentRow segment = node.dependencies().segments()
        .list(node.wiring().segments().status(RUN).toCompletableFuture().join().orElseThrow().generationId(),
            SegmentStore.Filter.ALL).join().stream()
        .max(Comparator.comparingLong(SegmentStore.SegmentRow::audience)).orElseThrow();
    Booking booked = node.wiring().bookings().book(segment.segmentId(), "subscribed",
        LocalDate.now(ZoneOffset.UTC).plusDays(1), "bob").toCompletableFuture().join();
    Poll.until("the booking in the read model", TIMEOUT, Duration.ofMillis(100),
        () -> node.wiring().bookings().row(booked.bookingId()).toCompletableFuture().join(), Optional::isPresent);
    CompletableFuture<List<JsonNode>> lines = client(viewer, "subscription($id: ID!) { bookingChanged(id: $id) "
        + "{ bookingId status sequence terminal at booking { status members imported } } }",
        Map.of("id", booked.bookingId()));
    node.wiring().bookings().runCreator().toCompletableFuture().join();
    List<JsonNode> all = lines.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(events(all)).as(all.toString()).startsWith("connected").endsWith("complete", "closed");
    List<JsonNode> changes = nexts(all, "bookingChanged");
    assertThat(changes.stream().map(c -> c.path("status").asText()).toList()).as(all.toString())
        .containsExactly("REQUESTED", "GENERATING", "GENERATED", "UPLOADING", "UPLOADED", "NOTIFIED");
    assertThat(changes.stream().map(c -> c.path("sequence").asInt()).toList()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(changes.stream().map(c -> c.path("terminal").asBoolean()).toList())
        .containsExactly(false, false, false, false, false, true);
    List<String> at = changes.stream().map(c -> c.path("at").asText()).toList();
    List<String> sorted = new ArrayList<>(at);
    Collections.sort(sorted);
    assertThat(at).as("in the order they happened").isEqualTo(sorted);
    JsonNode last = changes.get(changes.size() - 1).path("booking");
    assertThat(last.path("imported").asInt()).isEqualTo(last.path("members").asInt()).isPositive();
    assertThat(all.toString()).doesNotContain("@");
  }

  @Test
  void anUnknownBookingIsAnErrorWithNotFound() throws Exception {
    List<JsonNode> lines = client(viewer, "subscription { bookingChanged(id: \"b-" + "f".repeat(20) + "\") "
        + "{ status } }", Map.of()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(events(lines)).as(lines.toString()).containsExactly("connected", "error", "closed");
    assertThat(lines.get(1).path("payload").path(0).path("extensions").path("code").asText()).isEqualTo("NOT_FOUND");
  }

  @Test
  void eachRefusalClosesWithItsCodeAndTheNextConnectionIsServed() throws Exception {
    List<JsonNode> forbidden = client("not-a-jwt", "{ me { role } }", Map.of()).get(TIMEOUT.toSeconds(),
        TimeUnit.SECONDS);
    assertThat(forbidden.get(forbidden.size() - 1).path("code").asInt()).as(forbidden.toString()).isEqualTo(4403);
    servedAfterwards();

    RawSocket early = RawSocket.open(url, PROTOCOL);
    early.send("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ me { role } }\"}}");
    assertThat(early.closeCode()).isEqualTo(4401);
    servedAfterwards();

    RawSocket silent = RawSocket.open(url, PROTOCOL);
    assertThat(silent.closeCode()).isEqualTo(4408);
    servedAfterwards();

    String subscription = "{\"id\":\"x\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription($id: ID!) "
        + "{ runProgress(id: $id) { phase } }\",\"variables\":{\"id\":\"" + RUN + "\"}}}";
    RawSocket twice = acknowledged();
    twice.send("{\"type\":\"connection_init\",\"payload\":{\"authorization\":\"Bearer " + viewer + "\"}}");
    assertThat(twice.closeCode()).isEqualTo(4429);
    servedAfterwards();

    RawSocket garbage = acknowledged();
    garbage.send("{\"type\":\"subscribe\"");
    assertThat(garbage.closeCode()).isEqualTo(4400);
    servedAfterwards();

    // a duplicate id while the first operation runs: a paused run keeps its subscription open
    String paused = "gqlws-paused";
    node.wiring().ingestion().start(new RunSpec(paused, node.settings().resources().rawBucket(), "gqlws/", FILES,
        "test")).toCompletableFuture().join();
    node.wiring().ingestion().pause(paused).toCompletableFuture().join();
    try {
      RawSocket duplicate = acknowledged();
      String sub = subscription.replace(RUN, paused);
      duplicate.send(sub);
      assertThat(duplicate.next()).contains("\"next\"").contains("PAUSED");
      duplicate.send(sub);
      assertThat(duplicate.closeCode()).isEqualTo(4409);
    } finally {
      node.wiring().ingestion().cancel(paused).toCompletableFuture().join();
    }
    servedAfterwards();
  }

  private RawSocket acknowledged() throws Exception {
    RawSocket c = RawSocket.open(url, PROTOCOL);
    c.send("{\"type\":\"connection_init\",\"payload\":{\"authorization\":\"Bearer " + viewer + "\"}}");
    assertThat(c.next()).contains("connection_ack");
    return c;
  }
}
