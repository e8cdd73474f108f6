package audience.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The figures of one {@link ApiBenchmark} run and the one place that turns them into the result JSON: per operation
 * of the mix and overall, the baseline's, the target, and the set-up around them. {@link #toJson()} names every
 * field, in the order docs/benchmarks.md quotes them.
 *
 * @param setup how the data and the service were made ready
 * @param mix the mix's measured window (empty phases when the set-up failed)
 * @param baseline the baseline's measured window: {@link ApiOperation#ME} alone at the same concurrency
 * @param settings the service's and the load's settings, printed as they are
 * @param processes CPU per process over the mix (warm-up and window, {@link CpuMeter#report()})
 */
record ApiReport(ApiBenchmark.Options options, Setup setup, ApiLoad.Phase mix, ApiLoad.Phase baseline,
                 Map<String, Object> settings, IngestReport.Heap heap, Map<String, Object> processes) {
  /** The target: a page of segments answered under 50 ms at the 99th percentile, at 32 connections, no errors. */
  static final double TARGET_SEGMENTS_P99_MS = 50;
  /** The connections the target is stated at. */
  static final int TARGET_CONNECTIONS = 32;
  static final double P50 = 50;
  static final double P90 = 90;
  static final double P99 = 99;
  private static final int MS_DECIMALS = 2;
  private static final int RATE_DECIMALS = 1;
  private static final double MILLIS_PER_SECOND = 1000.0;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The set-up: the data set, the service, the segments the load reads.
   *
   * @param ingestMs from the ingestion's POST to the manifest read (ingestion and segment generation); null when none
   * @param segments segments of the latest generation; {@code pages} pages of {@code options.pageSize()} of them
   * @param error why the load did not run (null: it ran)
   */
  record Setup(long generateMs, long serviceStartMs, String runId, Long ingestMs, String generationId, int segments,
               int pages, int minAudience, String error) {}

  /** The mix's operations, in the order they are reported. */
  static final List<ApiOperation> MIX_OPERATIONS = List.of(ApiOperation.SEGMENTS_PAGE, ApiOperation.BOOKING,
      ApiOperation.BOOK_SEGMENT, ApiOperation.CANCEL_BOOKING);

  /** Every operation of the mix and overall. */
  ApiSamples overall() {
    return ApiSamples.merge(MIX_OPERATIONS.stream().map(mix::of).toList());
  }

  /** Errors of the mix and of the baseline. */
  long errors() {
    return overall().errorCount() + baseline.of(ApiOperation.ME).errorCount();
  }

  /** The load ran, every operation was measured, and no answer was an error: the exit code. */
  boolean ok() {
    return setup.error() == null && MIX_OPERATIONS.stream().allMatch(op -> mix.of(op).requests() > 0)
        && baseline.of(ApiOperation.ME).requests() > 0 && errors() == 0;
  }

  /** The segment pages' 99th percentile is under the target. */
  boolean segmentsP99Ok() {
    Double p99 = mix.of(ApiOperation.SEGMENTS_PAGE).percentileMs(P99);
    return p99 != null && p99 < TARGET_SEGMENTS_P99_MS;
  }

  /** The target is met: ok, the segment pages' p99 under 50 ms, and at (at least) the target's connections. */
  boolean targetMet() {
    return ok() && segmentsP99Ok() && options.connections() >= TARGET_CONNECTIONS;
  }

  /** The result: headline figures first, then per operation, the baseline, the target, the details. */
  ObjectNode toJson() {
    ObjectNode out = JSON.createObjectNode();
    out.put("connections", options.connections()).put("seconds", options.seconds());
    ApiSamples all = overall();
    headline(out, all, mix.window().toMillis());
    ObjectNode operations = out.putObject("operations");
    for (ApiOperation op : MIX_OPERATIONS) stats(operations.putObject(op.wire()), mix.of(op), mix.window().toMillis());
    ApiSamples me = baseline.of(ApiOperation.ME);
    stats(out.putObject("baseline").put("query", ApiOperation.ME.document()), me, baseline.window().toMillis());
    ApiSamples pages = mix.of(ApiOperation.SEGMENTS_PAGE);
    out.put("segments_p50_over_baseline_ms", difference(pages.percentileMs(P50), me.percentileMs(P50)))
        .put("segments_p99_over_baseline_ms", difference(pages.percentileMs(P99), me.percentileMs(P99)));
    out.put("target_segments_p99_ms", TARGET_SEGMENTS_P99_MS).put("target_connections", TARGET_CONNECTIONS)
        .put("segments_p99_ok", segmentsP99Ok()).put("no_errors", errors() == 0)
        .put("target_met", targetMet()).put("ok", ok());

    out.put("segments", setup.segments()).put("segment_pages", setup.pages()).put("page_size", options.pageSize())
        .put("files", options.files()).put("min_audience", setup.minAudience())
        .put("generation_id", setup.generationId()).put("run_id", setup.runId());
    if (setup.error() != null) out.put("setup_error", setup.error());
    out.set("settings", JSON.valueToTree(settings));
    out.put("peak_heap_mb", heap.peakMb());
    if (heap.afterGcMb() >= 0) out.put("heap_after_gc_mb", heap.afterGcMb());
    out.put("service_xmx_mb", heap.xmxMb());
    out.putPOJO("processes_during_mix", processes);
    out.put("ingest_ms", setup.ingestMs()).put("generate_ms", setup.generateMs())
        .put("service_start_ms", setup.serviceStartMs()).put("jvm_samples", heap.samples())
        .put("devstack_xmx_mb", options.devstackHeapMb()).put("seed", options.seed());
    return out;
  }

  private static void headline(ObjectNode out, ApiSamples s, long windowMs) {
    out.put("requests_per_s", perSecond(s.requests(), windowMs)).put("p50_ms", ms(s.percentileMs(P50)))
        .put("p99_ms", ms(s.percentileMs(P99))).put("errors", s.errorCount());
  }

  private static void stats(ObjectNode out, ApiSamples s, long windowMs) {
    out.put("requests", s.requests()).put("requests_per_s", perSecond(s.requests(), windowMs))
        .put("p50_ms", ms(s.percentileMs(P50))).put("p90_ms", ms(s.percentileMs(P90)))
        .put("p99_ms", ms(s.percentileMs(P99))).put("max_ms", ms(s.maxMs())).put("errors", s.errorCount());
    out.set("error_codes", JSON.valueToTree(new TreeMap<>(s.errors())));
    out.put("skipped", s.skipped());
  }

  /** {@code count} per second over a window of {@code windowMs}, to one decimal; null for an empty window. */
  static Double perSecond(long count, long windowMs) {
    if (windowMs <= 0) return null;
    return round(count * MILLIS_PER_SECOND / windowMs, RATE_DECIMALS);
  }

  /** Milliseconds to two decimals; null stays null. */
  static Double ms(Double ms) {
    return ms == null ? null : round(ms, MS_DECIMALS);
  }

  private static Double difference(Double a, Double b) {
    return a == null || b == null ? null : round(a - b, MS_DECIMALS);
  }

  private static double round(double v, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(v * scale) / scale;
  }
}
