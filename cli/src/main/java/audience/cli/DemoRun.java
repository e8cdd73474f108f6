package audience.cli;

import audience.segments.SegmentGenerator;
import audience.store.SegmentStore;
import java.util.Comparator;
import java.util.List;

import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.ingestion.IngestionStatus;
import audience.ingestion.RunIds;
import audience.service.AudienceNode;
import audience.store.RunAudit;
import audience.store.RunPhase;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.SortedMap;

/**
 * The demo pipeline shared by {@code up} and {@code demo}: generate a data set, publish the upload-complete
 * message to SNS, follow the run to its end, read the stores back and compare with the ground truth, then follow
 * the run's segment generation to its manifest, then book its largest segment and follow the booking to its
 * notification.
 */
final class DemoRun {
  private static final int TOP_SEGMENTS = 5;

  private DemoRun() {}

  /** Follows the run's segment generation until its manifest is written. */
  private static SegmentGenerator.View awaitSegments(AudienceNode node, String runId) throws InterruptedException {
    SegmentGenerator.View[] last = new SegmentGenerator.View[1];
    ProgressView.follow("segments " + runId, () -> {
      Optional<SegmentGenerator.View> v = node.wiring().segments().status(runId).toCompletableFuture().join();
      if (v.isEmpty()) return new ProgressView.Snapshot(0, 1, "waiting for the done event", false);
      last[0] = v.get();
      boolean done = v.get().phase() == SegmentGenerator.Phase.COMPLETED;
      return new ProgressView.Snapshot(done ? 1 : 0, 1, v.get().phase().wire() + ", " + v.get().segments()
          + " segments", done);
    });
    return last[0];
  }

  /**
   * {@code serviceUrl}: where the node keeps serving once the demo run is over (up), null when it stops with the
   * command (demo); said with the quarantine's counts.
   */
  static ObjectNode run(AudienceNode node, GeneratorSpec spec, String uploadId, String serviceUrl)
      throws InterruptedException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode summary = json.createObjectNode();

    Instant t0 = Instant.now();
    GroundTruth truth = GenerateCommand.write(node.aws().s3(), spec);
    long generateMs = Duration.between(t0, Instant.now()).toMillis();
    summary.putObject("generate").put("files", truth.files()).put("bad", truth.expectedQuarantined())
        .put("expectedIngested", truth.expectedValidFiles()).put("distinctMembers", truth.distinctMembers())
        .put("ms", generateMs);

    String message = json.createObjectNode().put("bucket", spec.bucket()).put("prefix", spec.prefix())
        .put("expectedFiles", spec.files()).put("uploadId", uploadId).toString();
    Instant published = Instant.now();
    node.aws().sns().publish(b -> b.topicArn(node.dependencies().resources().triggerTopicArn()).message(message)).join();
    String runId = RunIds.forUpload(spec.bucket(), spec.prefix(), uploadId);

    IngestionStatus[] last = new IngestionStatus[1];
    ProgressView.follow("ingest " + runId, () -> {
      Optional<IngestionStatus> s = node.wiring().ingestion().status(runId).toCompletableFuture().join();
      if (s.isEmpty()) return new ProgressView.Snapshot(0, spec.files(), "waiting for the trigger", false);
      last[0] = s.get();
      return new ProgressView.Snapshot(s.get().settled(), s.get().listingFinished() ? s.get().listed() : spec.files(),
          "quarantined " + s.get().quarantined(), s.get().done());
    });
    IngestionStatus status = last[0];
    long ingestMs = Duration.between(published, status.completedAt() == null ? Instant.now() : status.completedAt()).toMillis();
    summary.putObject("ingest").put("runId", runId).put("state", status.state().wire()).put("listed", status.listed())
        .put("ingested", status.ingested()).put("quarantined", status.quarantined()).put("ms", ingestMs)
        .put("filesPerSecond", Math.round(status.listed() * 1000.0 / Math.max(ingestMs, 1)))
        .put("warning", status.warning());
    // the counts by reason as the quarantine table holds them (what GET .../quarantine/summary answers)
    SortedMap<String, Long> byReason = node.dependencies().quarantine().countsByKind(runId).join();
    summary.putObject("quarantine").putPOJO("byReason", byReason);
    QuarantineReport.lines(runId, byReason, serviceUrl).forEach(System.err::println);

    Instant a0 = Instant.now();
    var deps = node.dependencies();
    RunAudit.Result audit = RunAudit.audit(node.aws().s3(), node.aws().dynamo(), deps.members(), deps.quarantine(),
        spec.bucket(), spec.prefix(), runId);
    ObjectNode a = summary.putObject("audit").put("listed", audit.listed()).put("ingested", audit.ingested())
        .put("quarantined", audit.quarantined()).put("lost", audit.lost()).put("doubled", audit.doubled())
        .put("ms", Duration.between(a0, Instant.now()).toMillis());
    a.putPOJO("lostSample", audit.lostSample());

    SegmentGenerator.View segments = awaitSegments(node, runId);
    ObjectNode seg = summary.putObject("segments").put("generationId", segments.generationId())
        .put("phase", segments.phase().wire()).put("segments", segments.segments())
        .put("manifestKey", segments.manifestKey()).put("doneToManifestMs", segments.doneToManifestMs());
    List<SegmentStore.SegmentRow> rows = segments.generationId() == null ? List.of()
        : deps.segments().list(segments.generationId(), SegmentStore.Filter.ALL).join();
    seg.put("metadataFiles", rows.size());
    rows.stream().sorted(Comparator.comparingLong(SegmentStore.SegmentRow::audience).reversed()).limit(TOP_SEGMENTS)
        .forEach(r -> seg.withArray("largest").addObject().put("segmentId", r.segmentId())
            .put("audience", r.audience()));
    System.err.printf("segments: %d in generation %s, manifest %s, %d ms after the done event%n",
        segments.segments(), segments.generationId(), segments.manifestKey(), segments.doneToManifestMs());

    List<SegmentStore.SegmentRow> bySize = rows.stream()
        .sorted(Comparator.comparingLong(SegmentStore.SegmentRow::audience).reversed()).toList();
    boolean booked = DemoBooking.run(node, bySize, uploadId, summary);

    boolean consistent = booked && audit.consistent()
        && segments.phase() == SegmentGenerator.Phase.COMPLETED && rows.size() == segments.segments()
        && audit.listed() == truth.files()
        && audit.ingested() == truth.expectedValidFiles()
        && audit.quarantined() == truth.expectedQuarantined()
        && status.state() == RunPhase.COMPLETED
        && status.ingested() == audit.ingested()
        && status.quarantined() == audit.quarantined()
        && byReason.values().stream().mapToLong(Long::longValue).sum() == audit.quarantined();
    summary.put("consistent", consistent);
    return summary;
  }
}
