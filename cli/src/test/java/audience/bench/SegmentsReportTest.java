package audience.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The segments benchmark's result, computed from a generation's view as the service answers it: no emulators. */
class SegmentsReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SegmentsBenchmark.Options OPTIONS = new SegmentsBenchmark.Options(50_000, 1, "512m", 1037, null);
  private static final SegmentsReport.Phases PHASES =
      new SegmentsReport.Phases(20_000, 6_000, "run-0123456789abcdef", "completed", 30_000L, 4_200);
  private static final IngestReport.Heap HEAP = new IngestReport.Heap(230, 40, 512, 70);

  /** A completed generation's view as GET /ops/segments/generations/{run} answers it. */
  private static final String COMPLETED = """
      {"runId":"run-0123456789abcdef","generationId":"g-74ea5aa4a1fd65812bac","phase":"completed","segments":690,
       "manifestKey":"manifest/g-74ea5aa4a1fd65812bac.json","latest":true,"dataTime":"2025-06-29T23:59:59Z",
       "requestedAt":"2026-11-28T09:00:00.100Z","publishedAt":"2026-11-28T09:00:02.100Z",
       "manifestAt":"2026-11-28T09:00:04.100Z","sourceCompletedAt":"2026-11-28T09:00:00Z",
       "doneToManifestMs":4100,"timings":{"members":50000,"scanMs":1600,"publishMs":400,"metadataMs":2000},
       "lastError":""}""";

  private static ObjectNode report(String view, IngestReport.Heap heap) throws Exception {
    JsonNode v = view == null ? MissingNode.getInstance() : JSON.readTree(view);
    return new SegmentsReport(OPTIONS, 10, PHASES, v, heap, Map.of("wall_s", 4.2)).toJson();
  }

  @Test
  void ratesAreTheViewsCountsOverItsStageTimes() throws Exception {
    ObjectNode r = report(COMPLETED, HEAP);
    assertThat(r.path("files").asInt()).isEqualTo(50_000);
    assertThat(r.path("members").asLong()).isEqualTo(50_000);
    assertThat(r.path("segments").asLong()).isEqualTo(690);
    assertThat(r.path("done_to_manifest_ms").asLong()).isEqualTo(4_100);
    assertThat(r.path("scan_ms").asLong()).isEqualTo(1_600);
    assertThat(r.path("scan_items_per_s").asDouble()).isEqualTo(31_250.0);
    assertThat(r.path("publish_ms").asLong()).isEqualTo(400);
    assertThat(r.path("kinesis_records_per_s").asDouble()).isEqualTo(1_725.0);
    assertThat(r.path("metadata_ms").asLong()).isEqualTo(2_000);
    assertThat(r.path("metadata_writes_per_s").asDouble()).isEqualTo(345.0);
    assertThat(r.path("manifest_key").asText()).isEqualTo("manifest/g-74ea5aa4a1fd65812bac.json");
    assertThat(r.path("generation_id").asText()).isEqualTo("g-74ea5aa4a1fd65812bac");
    assertThat(r.path("data_time").asText()).isEqualTo("2025-06-29T23:59:59Z");
    assertThat(r.path("run_id").asText()).isEqualTo(PHASES.runId());
    assertThat(r.path("min_audience").asInt()).isEqualTo(10);
    assertThat(r.has("last_error")).isFalse();
  }

  @Test
  void heapAndTargetsPassUnderTheirLimits() throws Exception {
    ObjectNode r = report(COMPLETED, HEAP);
    assertThat(r.path("peak_heap_mb").asLong()).isEqualTo(230);
    assertThat(r.path("heap_after_gc_mb").asLong()).isEqualTo(40);
    assertThat(r.path("service_xmx_mb").asLong()).isEqualTo(512);
    assertThat(r.path("target_done_to_manifest_ms").asLong()).isEqualTo(SegmentsReport.TARGET_DONE_TO_MANIFEST_MS);
    assertThat(r.path("done_to_manifest_ok").asBoolean()).isTrue();
    assertThat(r.path("peak_heap_ok").asBoolean()).isTrue();
    assertThat(r.path("ok").asBoolean()).isTrue();
    assertThat(new SegmentsReport(OPTIONS, 10, PHASES, JSON.readTree(COMPLETED), HEAP, Map.of()).ok()).isTrue();
  }

  @Test
  void aSlowGenerationStillCompletesButMissesItsTarget() throws Exception {
    ObjectNode r = report(COMPLETED.replace("\"doneToManifestMs\":4100", "\"doneToManifestMs\":7300"),
        new IngestReport.Heap(600, -1, 512, 3));
    assertThat(r.path("done_to_manifest_ms").asLong()).isEqualTo(7_300);
    assertThat(r.path("done_to_manifest_ok").asBoolean()).isFalse();
    assertThat(r.path("peak_heap_ok").asBoolean()).isFalse();
    assertThat(r.has("heap_after_gc_mb")).as("the sampler had no after-GC figure").isFalse();
    assertThat(r.path("ok").asBoolean()).isTrue();
  }

  @Test
  void aGenerationStuckAfterPublishingHasNoManifestNorMetadataRate() throws Exception {
    String published = COMPLETED.replace("\"phase\":\"completed\"", "\"phase\":\"published\"")
        .replace("\"doneToManifestMs\":4100", "\"doneToManifestMs\":-1")
        .replace("\"metadataMs\":2000", "\"metadataMs\":-1")
        .replace("\"lastError\":\"\"", "\"lastError\":\"check: read model unavailable\"");
    ObjectNode r = report(published, HEAP);
    assertThat(r.path("ok").asBoolean()).isFalse();
    assertThat(r.path("done_to_manifest_ok").asBoolean()).isFalse();
    assertThat(r.path("done_to_manifest_ms").isNull()).isTrue();
    assertThat(r.path("manifest_key").isNull()).isTrue();
    assertThat(r.path("metadata_ms").isNull()).isTrue();
    assertThat(r.path("metadata_writes_per_s").isNull()).isTrue();
    assertThat(r.path("scan_items_per_s").asDouble()).isEqualTo(31_250.0);
    assertThat(r.path("phase").asText()).isEqualTo("published");
    assertThat(r.path("last_error").asText()).isEqualTo("check: read model unavailable");
  }

  @Test
  void noGenerationAtAllIsAFailedRunWithZeroCounts() throws Exception {
    ObjectNode r = report(null, HEAP);
    assertThat(r.path("ok").asBoolean()).isFalse();
    assertThat(r.path("phase").asText()).isEqualTo("none");
    assertThat(r.path("members").asLong()).isZero();
    assertThat(r.path("segments").asLong()).isZero();
    assertThat(r.path("scan_items_per_s").isNull()).isTrue();
    assertThat(r.path("generation_id").isNull()).isTrue();
  }

  @Test
  void aStageOfZeroMillisecondsCountsAsOne() {
    assertThat(SegmentsReport.perSecond(5, 0)).isEqualTo(5_000.0);
    assertThat(SegmentsReport.perSecond(5, -1)).isNull();
    assertThat(SegmentsReport.perSecond(1, 3)).isEqualTo(333.3);
  }
}
