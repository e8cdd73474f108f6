package audience.bench;

import audience.segments.SegmentGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * The figures of one {@link SegmentsBenchmark} run and the one place that turns them into the result JSON: the
 * generation's view as GET /ops/segments/generations/{run} answers it ({@link SegmentGenerator.View}), the
 * service's heap and the phases around it. {@link #toJson()} names every field, in the order docs/benchmarks.md
 * quotes them.
 *
 * @param minAudience the minimum audience the service ran with (the option, else its default)
 * @param view the generation's last view; a missing node when none was read
 * @param processes CPU per process from the run's completion to the manifest ({@link CpuMeter#report()})
 */
record SegmentsReport(SegmentsBenchmark.Options options, int minAudience, Phases phases, JsonNode view,
                      IngestReport.Heap heap, Map<String, Object> processes) {
  /** The target: from the run's completion to its manifest, at 50,000 files. */
  static final long TARGET_DONE_TO_MANIFEST_MS = 5_000;
  /** The heap the service is given by default, which the peak must stay under at every N. */
  static final long TARGET_PEAK_HEAP_MB = IngestReport.TARGET_PEAK_HEAP_MB;
  /** The generator's timings are -1 until measured. */
  private static final long UNMEASURED = -1;
  private static final int RATE_DECIMALS = 1;
  private static final double MILLIS_PER_SECOND = 1000.0;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What came before and around the generation.
   *
   * @param ingestState the run's state when following it ended ("stalled" when it stopped settling files)
   * @param ingestMs from the POST to the run's completedAt; null when it did not complete
   * @param generationWaitMs from when the bench saw the run completed to when following the generation ended
   */
  record Phases(long generateMs, long serviceStartMs, String runId, String ingestState, Long ingestMs,
                long generationWaitMs) {}

  /** Whether the generation completed (its manifest written): the exit code. */
  boolean ok() {
    return view.path("phase").asText("").equals(SegmentGenerator.Phase.COMPLETED.wire());
  }

  /** The result: headline figures first, then the details. */
  ObjectNode toJson() {
    JsonNode t = view.path("timings");
    long members = t.path("members").asLong(0);
    long segments = view.path("segments").asLong(0);
    long scanMs = t.path("scanMs").asLong(UNMEASURED);
    long publishMs = t.path("publishMs").asLong(UNMEASURED);
    long metadataMs = t.path("metadataMs").asLong(UNMEASURED);
    long doneToManifestMs = view.path("doneToManifestMs").asLong(UNMEASURED);
    boolean completed = ok();

    ObjectNode out = JSON.createObjectNode();
    out.put("files", options.files()).put("members", members).put("segments", segments)
        .put("done_to_manifest_ms", completed ? doneToManifestMs : null)
        .put("scan_ms", measured(scanMs)).put("scan_items_per_s", perSecond(members, scanMs))
        .put("publish_ms", measured(publishMs)).put("kinesis_records_per_s", perSecond(segments, publishMs))
        .put("metadata_ms", measured(metadataMs)).put("metadata_writes_per_s", perSecond(segments, metadataMs))
        .put("manifest_key", completed ? view.path("manifestKey").asText() : null)
        .put("peak_heap_mb", heap.peakMb());
    if (heap.afterGcMb() >= 0) out.put("heap_after_gc_mb", heap.afterGcMb());
    out.put("service_xmx_mb", heap.xmxMb()).put("min_audience", minAudience)
        .put("target_done_to_manifest_ms", TARGET_DONE_TO_MANIFEST_MS)
        .put("done_to_manifest_ok", completed && doneToManifestMs >= 0 && doneToManifestMs < TARGET_DONE_TO_MANIFEST_MS)
        .put("target_peak_heap_mb", TARGET_PEAK_HEAP_MB)
        .put("peak_heap_ok", heap.peakMb() >= 0 && heap.peakMb() < TARGET_PEAK_HEAP_MB)
        .put("ok", completed);

    out.put("phase", view.path("phase").asText("none")).put("run_id", phases.runId())
        .put("generation_id", view.path("generationId").asText(null))
        .put("data_time", view.path("dataTime").asText(null))
        .put("ingest_state", phases.ingestState()).put("ingest_ms", phases.ingestMs())
        .put("generate_ms", phases.generateMs()).put("service_start_ms", phases.serviceStartMs())
        .put("generation_wait_ms", phases.generationWaitMs()).put("jvm_samples", heap.samples());
    String error = view.path("lastError").asText("");
    if (!error.isEmpty()) out.put("last_error", error);
    out.putPOJO("processes_during_generation", processes);
    out.put("devstack_xmx_mb", options.devstackHeapMb()).put("seed", options.seed());
    return out;
  }

  /** A stage's milliseconds, null while unmeasured. */
  private static Long measured(long ms) {
    return ms < 0 ? null : ms;
  }

  /** {@code count} per second over {@code ms} (at least 1 ms), to one decimal; null while unmeasured. */
  static Double perSecond(long count, long ms) {
    if (ms < 0) return null;
    double scale = Math.pow(10, RATE_DECIMALS);
    return Math.round(count * MILLIS_PER_SECOND / Math.max(ms, 1) * scale) / scale;
  }
}
