package audience.bench;

import audience.bookings.Booking.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The figures of one {@link BookingsBenchmark} run and the one place that turns them into the result JSON: the
 * booking as GET /ops/bookings/{id} last answered it, when each status was first seen while polling, the service's
 * heap and the EDM sandbox's read-back. {@link #toJson()} names every field, in the order docs/benchmarks.md
 * quotes them.
 *
 * <p>The booking carries {@code createdAt} and {@code updatedAt} only, not a time per transition: a status's start
 * is the {@code updatedAt} of the first answer that showed it (exact while nothing else happened in that status
 * since; within one poll otherwise). A status that lasted less than a poll is not seen: its start is taken as the
 * next seen status's start.
 *
 * @param booking the booking's last answer; a missing node when none was read
 * @param timeline when the bench posted, ran the creator, and first saw each status
 * @param processes CPU per process from the POST to the end ({@link CpuMeter#report()})
 */
record BookingsReport(BookingsBenchmark.Options options, BookingsDataset.Written setup, Timeline timeline,
                      JsonNode booking, IngestReport.Heap heap, SandboxCheck sandbox, long serviceStartMs,
                      Map<String, Object> processes) {
  /** The heap the service is given by default, which the peak must stay under at every N. */
  static final long TARGET_PEAK_HEAP_MB = IngestReport.TARGET_PEAK_HEAP_MB;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The lifecycle of a booking that succeeds, in order. */
  private static final List<Status> LIFECYCLE = List.of(Status.REQUESTED, Status.GENERATING, Status.GENERATED,
      Status.UPLOADING, Status.UPLOADED, Status.NOTIFIED);

  /** The first answer that showed a status: when the bench received it, and the booking's updatedAt in it. */
  record Seen(Instant at, Instant updatedAt) {}

  /**
   * @param posted just before POST /ops/bookings (bench clock; the service runs on the same machine)
   * @param creatorRun just before POST /ops/bookings/run-creator
   * @param poll how often the booking was read: the resolution of the per-status times
   */
  record Timeline(Instant posted, Instant creatorRun, Map<Status, Seen> seen, Duration poll) {
    Timeline {
      seen = seen.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(seen));
    }
  }

  /**
   * The sandbox's members after the run.
   *
   * @param members members the sandbox holds
   * @param importedTwice members imported by more than one completed job
   * @param foreign members that are not the segment's
   */
  record SandboxCheck(long members, long importedTwice, long foreign) {
    /** From {@code EdmSandboxClient.importCounts()}: member id to completed jobs that imported it. */
    static SandboxCheck of(Map<String, Integer> importCounts, Predicate<String> segmentMember) {
      long twice = importCounts.values().stream().filter(n -> n > 1).count();
      long foreign = importCounts.keySet().stream().filter(segmentMember.negate()).count();
      return new SandboxCheck(importCounts.size(), twice, foreign);
    }
  }

  Status status() {
    String s = booking.path("status").asText("");
    return s.isEmpty() ? null : Status.fromWire(s);
  }

  /** The sandbox holds exactly the segment's members, each imported once, and the platform took every row. */
  boolean exact() {
    long n = options.members();
    return sandbox.members() == n && sandbox.importedTwice() == 0 && sandbox.foreign() == 0
        && booking.path("upload").path("imported").asLong(-1) == n
        && booking.path("upload").path("rejected").asLong(-1) == 0;
  }

  /** The booking was notified and the sandbox holds exactly its members: the exit code. */
  boolean ok() {
    return status() == Status.NOTIFIED && exact();
  }

  /** When the booking entered {@code status}, or the next seen status when it went unseen; empty when none was. */
  Optional<Instant> since(Status status) {
    if (status == Status.REQUESTED) return instant(booking.path("createdAt"));
    for (int i = LIFECYCLE.indexOf(status); i >= 0 && i < LIFECYCLE.size(); i++) {
      Seen s = timeline.seen().get(LIFECYCLE.get(i));
      if (s != null) return Optional.of(s.updatedAt());
    }
    return Optional.empty();
  }

  /** The result: headline figures first, then the details. */
  ObjectNode toJson() {
    long members = options.members();
    Long audienceMs = between(Optional.of(timeline.creatorRun()), since(Status.GENERATED));
    Long exportMs = between(since(Status.GENERATING), since(Status.GENERATED));
    Long uploadMs = between(since(Status.UPLOADING), since(Status.UPLOADED));
    Long notifyMs = between(since(Status.UPLOADED), since(Status.NOTIFIED));
    Optional<Instant> notified = status() == Status.NOTIFIED ? instant(booking.path("updatedAt")) : Optional.empty();
    Long bookingToNotifiedMs = between(since(Status.REQUESTED), notified);
    JsonNode audience = booking.path("audience");
    JsonNode upload = booking.path("upload");
    long audienceMembers = audience.path("members").asLong(0);
    long imported = upload.path("imported").asLong(0);

    ObjectNode out = JSON.createObjectNode();
    out.put("members", members)
        .put("audience_rows_per_s", perSecond(audienceMembers, audienceMs))
        .put("upload_rows_per_s", perSecond(imported, uploadMs))
        .put("booking_to_notified_ms", bookingToNotifiedMs)
        .put("peak_heap_mb", heap.peakMb());
    if (heap.afterGcMb() >= 0) out.put("heap_after_gc_mb", heap.afterGcMb());
    out.put("service_xmx_mb", heap.xmxMb())
        .put("audience_ms", audienceMs).put("export_ms", exportMs).put("upload_ms", uploadMs)
        .put("notify_ms", notifyMs)
        .put("requested_to_creator_ms", between(since(Status.REQUESTED), Optional.of(timeline.creatorRun())))
        .put("audience_members", audienceMembers).put("audience_bytes", audience.path("bytes").asLong(0))
        .put("chunks", upload.path("chunks").asLong(booking.path("chunks").size()))
        .put("imported", imported).put("rejected", upload.path("rejected").asLong(0))
        .put("attempts", booking.path("attempts").asLong(0))
        .put("sandbox_members", sandbox.members()).put("imported_twice", sandbox.importedTwice())
        .put("sandbox_foreign", sandbox.foreign())
        .put("target_peak_heap_mb", TARGET_PEAK_HEAP_MB)
        .put("peak_heap_ok", heap.peakMb() >= 0 && heap.peakMb() < TARGET_PEAK_HEAP_MB)
        .put("sandbox_exact", exact())
        .put("ok", ok());

    Status status = status();
    out.put("status", status == null ? "none" : status.wire()).put("booking_id", booking.path("bookingId").asText(null))
        .put("segment_id", setup.segmentId()).put("generation_id", setup.generationId())
        .put("other_members", setup.others()).put("chunk_size", options.chunkSize())
        .put("status_poll_ms", timeline.poll().toMillis());
    String failure = booking.path("failure").asText("");
    if (!failure.isEmpty()) out.put("failure", failure);
    String lastError = booking.path("lastError").asText("");
    if (!lastError.isEmpty()) out.put("last_error", lastError);
    out.put("setup_members_ms", setup.membersMs()).put("setup_members_per_s", perSecond(
            setup.members() + setup.others(), setup.membersMs()))
        .put("setup_segment_ms", setup.segmentMs()).put("service_start_ms", serviceStartMs)
        .put("jvm_samples", heap.samples());
    out.putPOJO("processes_during_booking", processes);
    out.put("sandbox_completion_delay_ms", options.sandboxCompletionDelay().toMillis())
        .put("devstack_xmx_mb", options.devstackHeapMb()).put("seed", options.seed());
    return out;
  }

  private static Optional<Instant> instant(JsonNode n) {
    return n.isTextual() ? Optional.of(Instant.parse(n.asText())) : Optional.empty();
  }

  /** Milliseconds from {@code from} to {@code to}; null when either is unknown. */
  private static Long between(Optional<Instant> from, Optional<Instant> to) {
    return from.isPresent() && to.isPresent() ? Duration.between(from.get(), to.get()).toMillis() : null;
  }

  /** {@code count} per second over {@code ms} (at least 1 ms), to one decimal; null while unmeasured. */
  static Double perSecond(long count, Long ms) {
    return ms == null ? null : SegmentsReport.perSecond(count, ms);
  }
}
