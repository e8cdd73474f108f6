package audience.graphql;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.http.HttpServer;
import audience.ingestion.IngestionDone;
import audience.ingestion.RunSpec;
import audience.segments.SegmentGenerator;
import audience.service.AudienceNode;
import audience.store.BookingStore.BookingRow;
import audience.store.QuarantineStore;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * /graphql against a node on the devstack after a small ingestion and generation: segments paged and filtered,
 * bookSegment and cancelBooking with typed errors, 401 and 403, hostile requests refused precisely with the next
 * valid one served, and the read-model calls of a page of segments with their bookings counted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GraphQlIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final int MIN_AUDIENCE = 3;
  private static final int FILES = 1_500;
  private static final String RUN = "gql-run";
  private AudienceNode node;
  private GraphQlClient api;
  private final AtomicInteger segmentReads = new AtomicInteger();
  private final AtomicInteger bookingReads = new AtomicInteger();
  private String viewer;
  private String booker;

  @BeforeAll
  void start() {
    node = AudienceNode.start(TestNodes.settings(DevStack.shared(), Map.of(
        "audience.segments.min-audience", MIN_AUDIENCE,
        "audience.segments.stream.reader.idle-poll", "100ms",
        "audience.bookings.creator.zone", "UTC")));
    String bucket = node.settings().resources().rawBucket();
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(FILES, 0, 11L, bucket, "gql/", 0.0));
    new DatasetWriter().write(node.aws().s3(), generator, 16, n -> {}).join();
    TestProbe<IngestionDone> done = TestProbe.create(node.system());
    node.wiring().doneTopic().tell(Topic.subscribe(done.getRef()));
    node.wiring().ingestion().start(new RunSpec(RUN, bucket, "gql/", generator.files(), "test"))
        .toCompletableFuture().join();
    done.fishForMessage(TIMEOUT, m -> m.runId().equals(RUN)
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    Poll.until("segments generated and latest", TIMEOUT, Duration.ofMillis(200),
        () -> node.wiring().segments().status(RUN).toCompletableFuture().join().orElse(null),
        v -> v != null && v.phase() == SegmentGenerator.Phase.COMPLETED && v.latest());

    ApiBackend real = ApiBackend.of(node.wiring().ingestion(), node.wiring().segments(), node.wiring().bookings(),
        node.dependencies().quarantine());
    ApiBackend counted = counting(real);
    var binding = HttpServer.start(node.system(), new audience.config.Settings.HttpSettings("127.0.0.1", 0, ""),
        GraphQlRoutes.of(counted, node.settings()).routes());
    api = new GraphQlClient("http://127.0.0.1:" + binding.localAddress().getPort());
    TokenIssuer issuer = new TokenIssuer(node.settings().api().jwt());
    viewer = issuer.mint("vera", Role.VIEWER, Instant.now());
    booker = issuer.mint("bob", Role.BOOKER, Instant.now());
  }

  /** The real backend, counting the segments and bookings read-model reads. */
  private ApiBackend counting(ApiBackend real) {
    return (ApiBackend) java.lang.reflect.Proxy.newProxyInstance(ApiBackend.class.getClassLoader(),
        new Class<?>[] {ApiBackend.class}, (proxy, method, args) -> {
          if (method.getName().equals("segments")) segmentReads.incrementAndGet();
          if (method.getName().equals("bookings")) bookingReads.incrementAndGet();
          try {
            return method.invoke(real, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @AfterAll
  void stop() {
    if (node != null) node.close();
  }

  private static LocalDate tomorrow() {
    return LocalDate.now(ZoneOffset.UTC).plusDays(1);
  }

  private JsonNode segmentsPage(String token, String filter, int first) {
    GraphQlClient.Reply r = api.post(token, "{ segments(first: " + first + filter + ") { totalCount generationId "
        + "pageInfo { hasNextPage endCursor } edges { cursor node { id state suburb intent propertyType audience "
        + "status } } } }");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.data().path("segments");
  }

  @Test
  void segmentsArePagedAndFilteredAndAllAggregates() {
    JsonNode all = segmentsPage(viewer, "", 100);
    int total = all.path("totalCount").asInt();
    assertThat(total).as("the data set has segments").isGreaterThan(2);
    JsonNode first = segmentsPage(viewer, "", 2);
    assertThat(first.path("edges")).hasSize(2);
    assertThat(first.path("pageInfo").path("hasNextPage").asBoolean()).isTrue();
    GraphQlClient.Reply second = api.post(viewer, "query($a: String) { segments(first: 2, after: $a) "
        + "{ edges { node { id } } } }", Map.of("a", first.path("pageInfo").path("endCursor").asText()));
    assertThat(second.data().path("segments").path("edges").path(0).path("node").path("id").asText())
        .isEqualTo(all.path("edges").path(2).path("node").path("id").asText());

    JsonNode some = all.path("edges").path(0).path("node");
    String state = some.path("state").asText();
    int min = some.path("audience").asInt();
    JsonNode filtered = segmentsPage(viewer, ", filter: {state: \"" + state + "\", minAudience: " + min + "}", 100);
    assertThat(filtered.path("edges")).isNotEmpty();
    filtered.path("edges").forEach(e -> {
      assertThat(e.path("node").path("state").asText()).isEqualTo(state);
      assertThat(e.path("node").path("audience").asInt()).isGreaterThanOrEqualTo(min);
    });
    assertThat(all.toString()).doesNotContain("@");
  }

  @Test
  void bookAndCancelWithTypedRefusals() {
    JsonNode seg = segmentsPage(viewer, "", 1).path("edges").path(0).path("node");
    String segmentId = seg.path("id").asText();
    String book = "mutation($in: BookSegmentInput!) { bookSegment(input: $in) { booking { id requestedBy status "
        + "segment { id } history { status at } } error { code message } } }";
    Map<String, Object> in = Map.of("segmentId", segmentId, "campaign", "graphql", "sendDate", tomorrow().toString());

    GraphQlClient.Reply forbidden = api.post(viewer, book, Map.of("in", in));
    assertThat(forbidden.status()).isEqualTo(403);
    assertThat(forbidden.code()).isEqualTo("FORBIDDEN");

    GraphQlClient.Reply booked = api.post(booker, book, Map.of("in", in));
    JsonNode booking = booked.data().path("bookSegment").path("booking");
    assertThat(booking.path("requestedBy").asText()).as(booked.toString()).isEqualTo("bob");
    assertThat(booking.path("status").asText()).isEqualTo("REQUESTED");
    assertThat(booking.path("history").path(0).path("status").asText()).isEqualTo("REQUESTED");
    String bookingId = booking.path("id").asText();

    GraphQlClient.Reply repeated = api.post(booker, book, Map.of("in", in));
    assertThat(repeated.data().path("bookSegment").path("booking").path("id").asText()).as("idempotent")
        .isEqualTo(bookingId);
    GraphQlClient.Reply duplicate = api.post(booker, book, Map.of("in", Map.of("segmentId", segmentId,
        "campaign", "another campaign", "sendDate", tomorrow().toString())));
    assertThat(duplicate.data().path("bookSegment").path("error").path("code").asText()).isEqualTo("ALREADY_BOOKED");
    GraphQlClient.Reply past = api.post(booker, book, Map.of("in", Map.of("segmentId", segmentId, "campaign", "x",
        "sendDate", LocalDate.now(ZoneOffset.UTC).minusDays(2).toString())));
    assertThat(past.data().path("bookSegment").path("error").path("code").asText()).isEqualTo("PAST_SEND_DATE");
    GraphQlClient.Reply unknown = api.post(booker, book, Map.of("in", Map.of("segmentId", "no-such-segment",
        "campaign", "x", "sendDate", tomorrow().toString())));
    assertThat(unknown.data().path("bookSegment").path("error").path("code").asText()).isEqualTo("UNKNOWN_SEGMENT");
    assertThat(unknown.raw().body()).doesNotContain("Exception");

    // read your own write: once bookSegment answered, the booking reads back by id
    GraphQlClient.Reply read = api.post(booker, "query($id: ID!) { booking(id: $id) { status } }", Map.of("id", bookingId));
    assertThat(read.data().path("booking").path("status").asText()).as(read.toString()).isEqualTo("REQUESTED");
    GraphQlClient.Reply cancel = api.post(booker, "mutation($id: ID!) { cancelBooking(id: $id) { booking { status "
        + "history { status } } error { code } } }", Map.of("id", bookingId));
    assertThat(cancel.data().path("cancelBooking").path("booking").path("status").asText()).as(cancel.toString())
        .isEqualTo("CANCELLED");
    GraphQlClient.Reply again = api.post(booker, "mutation($id: ID!) { cancelBooking(id: $id) { error { code } } }",
        Map.of("id", bookingId));
    assertThat(again.data().path("cancelBooking").path("error").path("code").asText()).isEqualTo("ILLEGAL_TRANSITION");
    GraphQlClient.Reply cancelled = api.post(booker, "query($id: ID!) { booking(id: $id) { status } }",
        Map.of("id", bookingId));
    assertThat(cancelled.data().path("booking").path("status").asText()).as(cancelled.toString())
        .isEqualTo("CANCELLED");
  }

  @Test
  void aPageOfSegmentsWithTheirBookingsMakesOneReadOfEach() {
    int segmentsBefore = segmentReads.get();
    int bookingsBefore = bookingReads.get();
    GraphQlClient.Reply r = api.post(viewer, "{ segments(first: 50) { edges { node { id bookings(first: 5) "
        + "{ totalCount edges { node { id status requestedBy } } } } } } }");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(segmentReads.get() - segmentsBefore).isEqualTo(1);
    assertThat(bookingReads.get() - bookingsBefore).isEqualTo(1);
  }

  @Test
  void missingTokenAndHostileRequestsAreRefusedPreciselyAndTheNextRequestIsServed() {
    assertThat(api.post(null, "{ me { subject } }").status()).isEqualTo(401);
    List<Map.Entry<GraphQlClient.Reply, String>> refused = List.of(
        Map.entry(api.post(viewer, GraphQlClient.depthBomb(4)), "TOO_DEEP"),
        Map.entry(api.post(viewer, GraphQlClient.complexityBomb()), "TOO_COMPLEX"),
        Map.entry(api.post(viewer, GraphQlClient.aliases(1_000)), "TOO_MANY_ALIASES"),
        Map.entry(api.raw(viewer, GraphQlClient.body("{ me { subject } }" + " ".repeat(1 << 20), Map.of()), Map.of()),
            "BODY_TOO_LARGE"));
    for (var e : refused) {
      assertThat(e.getKey().code()).as(e.getKey().toString()).isEqualTo(e.getValue());
      assertThat(e.getKey().status()).isIn(400, 413);
      GraphQlClient.Reply next = api.post(viewer, "{ me { subject role } }");
      assertThat(next.status()).isEqualTo(200);
      assertThat(next.data().path("me").path("role").asText()).isEqualTo("VIEWER");
    }
  }
}
