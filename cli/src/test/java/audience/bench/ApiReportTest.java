package audience.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The API benchmark's figures from samples as the load records them: percentiles, per operation, overall, target. */
class ApiReportTest {
  private static final ApiBenchmark.Options OPTIONS = new ApiBenchmark.Options(20_000, 32, 30, 10, 10, 1, "512m", 576,
      null);
  private static final ApiReport.Setup SETUP = new ApiReport.Setup(9_000, 7_000, "run-0123456789abcdef", 60_000L,
      "g-74ea5aa4a1fd65812bac", 225, 5, 10, null);
  private static final IngestReport.Heap HEAP = new IngestReport.Heap(300, 60, 512, 120);
  private static final Duration WINDOW = Duration.ofSeconds(10);

  /** Samples of 1..n milliseconds (in nanoseconds), shuffled by reversing: the samples sort them. */
  private static ApiSamples millis(int n, Map<String, Long> errors) {
    long[] nanos = LongStream.rangeClosed(1, n).map(i -> (n + 1 - i) * 1_000_000L).toArray();
    return new ApiSamples(nanos, errors, 0);
  }

  private static ApiSamples constant(int n, double ms) {
    return new ApiSamples(LongStream.range(0, n).map(i -> (long) (ms * 1_000_000)).toArray(), Map.of(), 0);
  }

  private static ApiSamples plus(ApiSamples a, ApiSamples b) {
    return ApiSamples.merge(List.of(a, b));
  }

  private static ApiLoad.Phase mix(ApiSamples pages, ApiSamples booking, ApiSamples book, ApiSamples cancel) {
    Map<ApiOperation, ApiSamples> m = new EnumMap<>(ApiOperation.class);
    m.put(ApiOperation.SEGMENTS_PAGE, pages);
    m.put(ApiOperation.BOOKING, booking);
    m.put(ApiOperation.BOOK_SEGMENT, book);
    m.put(ApiOperation.CANCEL_BOOKING, cancel);
    return new ApiLoad.Phase(m, WINDOW);
  }

  private static ApiLoad.Phase baseline(ApiSamples me) {
    return new ApiLoad.Phase(Map.of(ApiOperation.ME, me), WINDOW);
  }

  private static ApiReport report(ApiBenchmark.Options options, ApiReport.Setup setup, ApiLoad.Phase mix,
                                  ApiLoad.Phase baseline) {
    return new ApiReport(options, setup, mix, baseline, Map.of("rate_limit_requests", 10_000_000), HEAP,
        Map.of("wall_s", 40.0));
  }

  /** A healthy run in a 10 s window: 600 pages of 0.07 to 42 ms, 200 details at 8 ms, 100 bookings, 100 cancels. */
  private static ApiLoad.Phase healthyMix() {
    return mix(new ApiSamples(LongStream.rangeClosed(1, 600).map(i -> i * 70_000L).toArray(), Map.of(), 0),
        constant(200, 8), constant(100, 20), constant(100, 12));
  }

  @Test
  void percentilesAreNearestRankOverEverySample() {
    ApiSamples s = millis(100, Map.of());
    assertThat(s.percentileMs(50)).isEqualTo(50.0);
    assertThat(s.percentileMs(99)).isEqualTo(99.0);
    assertThat(s.percentileMs(100)).isEqualTo(100.0);
    assertThat(s.percentileMs(0.5)).isEqualTo(1.0);
    assertThat(s.maxMs()).isEqualTo(100.0);
    ApiSamples ten = millis(10, Map.of());
    assertThat(ten.percentileMs(99)).as("rank ceil(9.9) = 10").isEqualTo(10.0);
    assertThat(ten.percentileMs(50)).isEqualTo(5.0);
    assertThat(ten.percentileMs(51)).isEqualTo(6.0);
    assertThat(ApiSamples.NONE.percentileMs(50)).isNull();
    assertThat(ApiSamples.NONE.maxMs()).isNull();
    assertThatThrownBy(() -> s.percentileMs(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> s.percentileMs(101)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRecorderKeepsEverySampleBeyondItsFirstArrayAndCountsErrorsAsRequests() {
    ApiSamples.Recorder r = new ApiSamples.Recorder();
    for (int i = 1; i <= 3000; i++) r.ok(i * 1_000L);
    r.error(5_000_000L, "RATE_LIMITED_429");
    r.error(6_000_000L, "RATE_LIMITED_429");
    r.error(1_000L, "IO_HttpTimeoutException");
    r.skip();
    ApiSamples s = r.samples();
    assertThat(s.requests()).isEqualTo(3003);
    assertThat(s.errorCount()).isEqualTo(3);
    assertThat(s.errors()).containsExactlyInAnyOrderEntriesOf(Map.of("RATE_LIMITED_429", 2L,
        "IO_HttpTimeoutException", 1L));
    assertThat(s.skipped()).isEqualTo(1);
    assertThat(s.maxMs()).isEqualTo(6.0);
  }

  @Test
  void eachOperationHasItsRateAndPercentilesAndOverallMergesTheMix() {
    ObjectNode r = report(OPTIONS, SETUP, healthyMix(), baseline(constant(5_000, 1.5))).toJson();
    JsonNode pages = r.path("operations").path("segments_page");
    assertThat(pages.path("requests").asLong()).isEqualTo(600);
    assertThat(pages.path("requests_per_s").asDouble()).isEqualTo(60.0);
    assertThat(pages.path("p50_ms").asDouble()).isEqualTo(21.0);
    assertThat(pages.path("p90_ms").asDouble()).isEqualTo(37.8);
    assertThat(pages.path("p99_ms").asDouble()).isEqualTo(41.58);
    assertThat(pages.path("max_ms").asDouble()).isEqualTo(42.0);
    assertThat(pages.path("errors").asLong()).isZero();
    assertThat(r.path("operations").path("booking").path("p50_ms").asDouble()).isEqualTo(8.0);
    assertThat(r.path("operations").path("book_segment").path("requests_per_s").asDouble()).isEqualTo(10.0);
    assertThat(r.path("operations").path("cancel_booking").path("p99_ms").asDouble()).isEqualTo(12.0);
    assertThat(r.path("operations").fieldNames()).toIterable()
        .containsExactly("segments_page", "booking", "book_segment", "cancel_booking");

    assertThat(r.path("requests_per_s").asDouble()).as("1,000 requests of the mix in 10 s").isEqualTo(100.0);
    // sorted: pages 1-114 (to 7.98 ms), 200 at 8, pages 115-171, 100 at 12, pages 172-285, 100 at 20, pages 286-600
    assertThat(r.path("p50_ms").asDouble()).as("the 500th of 1,000: page 200").isEqualTo(14.0);
    assertThat(r.path("p99_ms").asDouble()).as("the 990th: page 590").isEqualTo(41.3);
    assertThat(r.path("errors").asLong()).isZero();

    JsonNode base = r.path("baseline");
    assertThat(base.path("query").asText()).isEqualTo("{ me { subject } }");
    assertThat(base.path("requests_per_s").asDouble()).isEqualTo(500.0);
    assertThat(base.path("p50_ms").asDouble()).isEqualTo(1.5);
    assertThat(r.path("segments_p50_over_baseline_ms").asDouble()).isEqualTo(19.5);
    assertThat(r.path("segments_p99_over_baseline_ms").asDouble()).isEqualTo(40.08);
  }

  @Test
  void theTargetIsMetWithTheSegmentPagesP99Under50MsAt32ConnectionsAndNoErrors() {
    ApiReport healthy = report(OPTIONS, SETUP, healthyMix(), baseline(constant(5_000, 1.5)));
    ObjectNode r = healthy.toJson();
    assertThat(r.path("target_segments_p99_ms").asDouble()).isEqualTo(50.0);
    assertThat(r.path("segments_p99_ok").asBoolean()).isTrue();
    assertThat(r.path("no_errors").asBoolean()).isTrue();
    assertThat(r.path("target_met").asBoolean()).isTrue();
    assertThat(r.path("ok").asBoolean()).isTrue();
    assertThat(healthy.ok()).isTrue();
    assertThat(r.path("segments").asInt()).isEqualTo(225);
    assertThat(r.path("segment_pages").asInt()).isEqualTo(5);
    assertThat(r.path("page_size").asInt()).isEqualTo(50);
    assertThat(r.path("settings").path("rate_limit_requests").asInt()).isEqualTo(10_000_000);
    assertThat(r.has("setup_error")).isFalse();
  }

  @Test
  void slowPagesMissTheTargetButTheRunIsStillOk() {
    ApiLoad.Phase slow = mix(plus(constant(99, 10), constant(1, 50)), constant(10, 8), constant(5, 20),
        constant(5, 12));
    ObjectNode r = report(OPTIONS, SETUP, slow, baseline(constant(100, 1))).toJson();
    assertThat(r.path("operations").path("segments_page").path("p99_ms").asDouble())
        .as("the 99th of 100 is 10 ms").isEqualTo(10.0);
    ApiLoad.Phase slower = mix(plus(constant(98, 10), constant(2, 50)), constant(10, 8), constant(5, 20),
        constant(5, 12));
    ObjectNode s = report(OPTIONS, SETUP, slower, baseline(constant(100, 1))).toJson();
    assertThat(s.path("operations").path("segments_page").path("p99_ms").asDouble()).isEqualTo(50.0);
    assertThat(s.path("segments_p99_ok").asBoolean()).as("50 ms is not under 50").isFalse();
    assertThat(s.path("target_met").asBoolean()).isFalse();
    assertThat(s.path("ok").asBoolean()).isTrue();
  }

  @Test
  void anyErrorFailsTheRunAndTheTargetWithItsCodesPerOperation() {
    ApiLoad.Phase withErrors = mix(constant(600, 5), constant(200, 8),
        millis(100, Map.of("ALREADY_BOOKED", 1L)), millis(100, Map.of("NOT_FOUND", 2L)));
    ApiReport report = report(OPTIONS, SETUP, withErrors, baseline(constant(100, 1)));
    ObjectNode r = report.toJson();
    assertThat(r.path("errors").asLong()).isEqualTo(3);
    assertThat(r.path("operations").path("book_segment").path("error_codes").path("ALREADY_BOOKED").asLong())
        .isEqualTo(1);
    assertThat(r.path("operations").path("cancel_booking").path("errors").asLong()).isEqualTo(2);
    assertThat(r.path("segments_p99_ok").asBoolean()).isTrue();
    assertThat(r.path("no_errors").asBoolean()).isFalse();
    assertThat(r.path("target_met").asBoolean()).isFalse();
    assertThat(report.ok()).isFalse();

    ApiReport baselineError = report(OPTIONS, SETUP, healthyMix(),
        baseline(millis(10, Map.of("RATE_LIMITED_429", 1L))));
    assertThat(baselineError.toJson().path("errors").asLong()).as("the headline is the mix's").isZero();
    assertThat(baselineError.toJson().path("no_errors").asBoolean()).isFalse();
    assertThat(baselineError.ok()).isFalse();
  }

  @Test
  void fewerConnectionsThanTheTargetsNeverMeetIt() {
    ApiBenchmark.Options eight = new ApiBenchmark.Options(3_000, 8, 5, 10, 10, 1, "512m", 576, 3);
    ObjectNode r = report(eight, SETUP, healthyMix(), baseline(constant(100, 1))).toJson();
    assertThat(r.path("connections").asInt()).isEqualTo(8);
    assertThat(r.path("segments_p99_ok").asBoolean()).isTrue();
    assertThat(r.path("ok").asBoolean()).isTrue();
    assertThat(r.path("target_met").asBoolean()).isFalse();
  }

  @Test
  void aSetupWithoutSegmentsRanNoLoadAndSaysWhy() {
    ApiReport.Setup none = new ApiReport.Setup(1_000, 7_000, "run-1", 20_000L, "g-1", 0, 0, 10,
        "the generation has no segment: lower --min-audience (was 10) or give more --files");
    ApiLoad.Phase empty = new ApiLoad.Phase(Map.of(), Duration.ZERO);
    ApiReport report = report(OPTIONS, none, empty, empty);
    ObjectNode r = report.toJson();
    assertThat(report.ok()).isFalse();
    assertThat(r.path("ok").asBoolean()).isFalse();
    assertThat(r.path("target_met").asBoolean()).isFalse();
    assertThat(r.path("requests_per_s").isNull()).isTrue();
    assertThat(r.path("p99_ms").isNull()).isTrue();
    assertThat(r.path("operations").path("segments_page").path("requests").asLong()).isZero();
    assertThat(r.path("setup_error").asText()).contains("--min-audience");
  }

  @Test
  void aRunWhereAnOperationNeverRanIsNotOk() {
    ApiLoad.Phase noCancel = mix(constant(600, 5), constant(200, 8), constant(100, 20), ApiSamples.NONE);
    assertThat(report(OPTIONS, SETUP, noCancel, baseline(constant(100, 1))).ok()).isFalse();
  }

  @Test
  void overallIsEveryOperationsSamplesTogether() {
    ApiReport r = report(OPTIONS, SETUP, mix(millis(3, Map.of()), millis(2, Map.of("NOT_FOUND", 1L)),
        ApiSamples.NONE, millis(1, Map.of())), baseline(constant(1, 1)));
    ApiSamples all = r.overall();
    assertThat(all.requests()).isEqualTo(6);
    assertThat(all.nanos()).containsExactly(1_000_000L, 1_000_000L, 1_000_000L, 2_000_000L, 2_000_000L, 3_000_000L);
    assertThat(all.errors()).isEqualTo(Map.of("NOT_FOUND", 1L));
    assertThat(ApiSamples.merge(List.of())).satisfies(s -> assertThat(s.requests()).isZero());
  }
}
