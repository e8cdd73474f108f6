package audience.service;

import audience.bookings.Booking;
import audience.devstack.DevStack;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.http.OpsTestClients;
import audience.ingestion.IngestionDone;
import audience.ingestion.IngestionStatus;
import audience.ingestion.RunSpec;
import audience.segments.SegmentGenerator;
import audience.store.SegmentStore;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GET /metrics of a service on the devstack after a small ingestion with bad files, its segment generation and one
 * booking uploaded to the EDM sandbox: the counters equal the run's, the generation's and the booking's own figures,
 * a request to /ops and two GraphQL operations appear by route template and operation name (no id in any tag), and
 * the JVM's meters are there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final int FILES = 1_000;
  private static final int BAD_FILES = 25;
  private static final int CHUNK = 50;
  private static final String RUN = "metrics-run";
  private static final String PROBE_OPERATION = "MetricsProbe";
  private static final String BROKEN_OPERATION = "MetricsBroken";
  /** A well-formed booking id (b- and 20 hex digits) that no booking has. */
  private static final String MISSING_BOOKING = "b-00000000000000000000";

  private Service service;
  private final HttpClient http = HttpClient.newHttpClient();
  private IngestionStatus run;
  private SegmentGenerator.View generation;
  private Booking booking;

  @BeforeAll
  void start() {
    service = Service.start(TestNodes.settings(DevStack.shared(), Map.of(
        "audience.http.port", 0,
        "audience.ingestion.chunk-size", CHUNK,
        "audience.segments.min-audience", 3,
        "audience.segments.stream.reader.idle-poll", "100ms",
        "audience.bookings.creator.zone", "UTC",
        "audience.bookings.upload.poll-interval", "50ms")));
    AudienceNode node = service.node();
    String bucket = node.settings().resources().rawBucket();
    DatasetGenerator data = new DatasetGenerator(new GeneratorSpec(FILES, BAD_FILES, 17L, bucket, "metrics/", 0.2));
    new DatasetWriter().write(node.aws().s3(), data, 16, n -> {}).join();
    TestProbe<IngestionDone> done = TestProbe.create(node.system());
    node.wiring().doneTopic().tell(Topic.subscribe(done.getRef()));
    node.wiring().ingestion().start(new RunSpec(RUN, bucket, "metrics/", data.files(), "test"))
        .toCompletableFuture().join();
    done.fishForMessage(TIMEOUT, m -> m.runId().equals(RUN)
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    run = node.wiring().ingestion().require(RUN).toCompletableFuture().join();
    generation = Poll.until("segments generated", TIMEOUT, POLL,
        () -> node.wiring().segments().status(RUN).toCompletableFuture().join().orElse(null),
        v -> v != null && v.phase() == SegmentGenerator.Phase.COMPLETED);
    SegmentStore.SegmentRow largest = node.dependencies().segments().list(generation.generationId(),
            SegmentStore.Filter.ALL).join().stream()
        .max(Comparator.comparingLong(SegmentStore.SegmentRow::audience)).orElseThrow();
    Booking booked = node.wiring().bookings().book(largest.segmentId(), "metrics", LocalDate.now(ZoneOffset.UTC)
        .plusDays(1), "metrics-it").toCompletableFuture().join();
    Poll.until("the booking in the read model", TIMEOUT, POLL,
        () -> node.wiring().bookings().row(booked.bookingId()).toCompletableFuture().join(), r -> r.isPresent());
    node.wiring().bookings().runCreator().toCompletableFuture().join();
    booking = Poll.until("the booking notified", TIMEOUT, POLL,
        () -> node.wiring().bookings().get(booked.bookingId()).toCompletableFuture().join(),
        b -> b.status() == Booking.Status.NOTIFIED);
  }

  @AfterAll
  void stop() {
    if (service != null) service.close();
  }

  private HttpResponse<String> get(String path) {
    // an operator's token: /ops wants one; /metrics ignores it
    return send(HttpRequest.newBuilder(URI.create(service.url() + path)).GET().header("Authorization",
        "Bearer " + OpsTestClients.token(service.node().settings(), Role.OPERATOR)).build());
  }

  private HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private PrometheusText scrape() {
    HttpResponse<String> r = get("/metrics");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return PrometheusText.parse(r.body());
  }

  @Test
  void servesThePrometheusTextFormatWithoutAToken() {
    HttpResponse<String> r = get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=UTF-8");
    assertThat(r.body()).contains("# TYPE audience_ingestion_files_ingested_total counter");
  }

  @Test
  void ingestionCountersEqualTheRunsFigures() {
    assertThat(run.quarantined()).as("the run quarantined the bad files").isEqualTo(BAD_FILES);
    assertThat(run.ingested()).isEqualTo(FILES - BAD_FILES);
    // the done event comes from the run's tracker; the run entity records its own completion right after
    PrometheusText m = Poll.until("the run no longer active", TIMEOUT, POLL, this::scrape,
        t -> t.value("audience_ingestion_runs_active") == 0);
    assertThat(m.value("audience_ingestion_files_ingested_total")).isEqualTo(run.ingested());
    assertThat(m.value("audience_ingestion_files_quarantined_total")).isEqualTo(run.quarantined());
    assertThat(m.value("audience_ingestion_files_listed_total")).isEqualTo(run.listed());
    assertThat(m.value("audience_ingestion_runs_completed_total")).isEqualTo(1);
    assertThat(m.value("audience_ingestion_runs_stalled")).isZero();
    assertThat(m.value("audience_ingestion_chunk_seconds_count", Map.of("outcome", "settled")))
        .as("every chunk settled at least once").isGreaterThanOrEqualTo(FILES / CHUNK);
    assertThat(m.has("audience_ingestion_chunk_seconds_bucket", Map.of("outcome", "settled", "le", "+Inf")))
        .as("a histogram, for quantiles").isTrue();
  }

  @Test
  void segmentRecordsEqualTheGenerationsCount() {
    assertThat(generation.segments()).isPositive();
    PrometheusText m = Poll.until("every published record consumed", TIMEOUT, POLL, this::scrape,
        t -> t.value("audience_segments_records_consumed_total") >= generation.segments());
    assertThat(m.value("audience_segments_records_published_total")).isEqualTo(generation.segments());
    assertThat(m.value("audience_segments_records_consumed_total")).isEqualTo(generation.segments());
    assertThat(m.value("audience_segments_generation_seconds_count")).isEqualTo(1);
    assertThat(m.series("audience_segments_checkpoint_lag_seconds")).as("one lag per shard read here")
        .isNotEmpty().allSatisfy(s -> assertThat(s.labels()).containsKey("shard"));
  }

  @Test
  void bookingMetersEqualTheBookingsUpload() {
    PrometheusText m = scrape();
    assertThat(booking.upload().imported()).isPositive();
    assertThat(m.value("audience_bookings_uploads_total", Map.of("outcome", "uploaded"))).isEqualTo(1);
    assertThat(m.value("audience_bookings_uploads_total", Map.of("outcome", "failed"))).isZero();
    assertThat(m.value("audience_bookings_rows_uploaded_total", Map.of("outcome", "imported")))
        .isEqualTo(booking.upload().imported());
    assertThat(m.value("audience_bookings_rows_uploaded_total", Map.of("outcome", "rejected")))
        .isEqualTo(booking.upload().rejected());
    assertThat(m.value("audience_bookings_notifications_total", Map.of("outcome", "sent"))).isEqualTo(1);
    assertThat(m.value("audience_bookings", Map.of("status", "notified"))).isEqualTo(1);
    assertThat(m.value("audience_bookings", Map.of("status", "requested"))).isZero();
  }

  @Test
  void httpRequestsAppearByRouteTemplateWithoutIds() {
    HttpResponse<String> status = get("/ops/ingestions/" + RUN);
    assertThat(status.statusCode()).isEqualTo(200);
    HttpResponse<String> missing = get("/ops/bookings/" + MISSING_BOOKING);
    assertThat(missing.statusCode()).isEqualTo(404);
    PrometheusText m = scrape();
    assertThat(m.value("audience_http_requests_seconds_count",
        Map.of("method", "GET", "route", "/ops/ingestions/{id}", "status", "2xx"))).isGreaterThanOrEqualTo(1);
    assertThat(m.value("audience_http_requests_seconds_count",
        Map.of("method", "GET", "route", "/ops/bookings/{id}", "status", "4xx"))).isGreaterThanOrEqualTo(1);
    assertThat(m.text()).doesNotContain(RUN).doesNotContain(MISSING_BOOKING).doesNotContain(booking.bookingId())
        .doesNotContain("@");
  }

  @Test
  void graphQlOperationsAppearByNameAndErrorsByCode() {
    String token = new TokenIssuer(service.node().settings().api().jwt()).mint("metrics", Role.VIEWER, Instant.now());
    assertThat(graphQl(token, "query " + PROBE_OPERATION + " { me { subject } }", PROBE_OPERATION).statusCode())
        .isEqualTo(200);
    assertThat(graphQl(token, "query " + BROKEN_OPERATION + " { noSuchField }", BROKEN_OPERATION).statusCode())
        .isEqualTo(400);
    PrometheusText m = scrape();
    assertThat(m.value("audience_graphql_requests_seconds_count",
        Map.of("operation", PROBE_OPERATION, "outcome", "ok"))).isEqualTo(1);
    assertThat(m.value("audience_graphql_requests_seconds_count",
        Map.of("operation", BROKEN_OPERATION, "outcome", "error"))).isEqualTo(1);
    assertThat(m.value("audience_graphql_errors_total",
        Map.of("operation", BROKEN_OPERATION, "code", "VALIDATION_FAILED"))).isEqualTo(1);
    assertThat(m.value("audience_http_requests_seconds_count",
        Map.of("method", "POST", "route", "/graphql", "status", "2xx"))).isGreaterThanOrEqualTo(1);
  }

  private HttpResponse<String> graphQl(String token, String query, String operationName) {
    String body = "{\"query\":\"" + query.replace("\"", "\\\"") + "\",\"operationName\":\"" + operationName + "\"}";
    return send(HttpRequest.newBuilder(URI.create(service.url() + "/graphql"))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  @Test
  void jvmMetersArePresent() {
    PrometheusText m = scrape();
    assertThat(m.value("jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();
    assertThat(m.value("jvm_threads_live_threads")).isPositive();
    assertThat(m.value("jvm_classes_loaded_classes")).isPositive();
    assertThat(m.value("system_cpu_count")).isPositive();
    assertThat(m.value("process_uptime_seconds")).isPositive();
    assertThat(m.series("jvm_gc_memory_allocated_bytes_total")).isNotEmpty();
  }
}
