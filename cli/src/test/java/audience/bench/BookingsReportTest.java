package audience.bench;

import audience.bookings.Booking.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The bookings benchmark's result, computed from a booking as GET /ops/bookings/{id} answers it: no emulators. */
class BookingsReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MEMBERS = 50_000;
  private static final BookingsBenchmark.Options OPTIONS = new BookingsBenchmark.Options(MEMBERS, null, 1, "512m", 1024);
  private static final BookingsDataset.Written SETUP = new BookingsDataset.Written(
      "nsw~surry-hills-7ea0ece8~buy~apartment~750000-1000000", "g-58cdaba35db894872f20", "metadata/g/s.json", MEMBERS,
      BookingsDataset.OTHER_MEMBERS, 60_000, 300);
  private static final IngestReport.Heap HEAP = new IngestReport.Heap(230, 40, 512, 70);
  private static final BookingsReport.SandboxCheck EXACT = new BookingsReport.SandboxCheck(MEMBERS, 0, 0);
  private static final Instant T0 = Instant.parse("2026-11-27T09:00:00Z");

  /** A notified booking as the service answers it: created at T0, notified 30 s later. */
  private static final String NOTIFIED = """
      {"bookingId":"b-d656d8d185fa04983bc4","segmentId":"s","campaign":"bench","sendDate":"2026-11-28",
       "requestedBy":"bench-bookings","createdAt":"2026-11-27T09:00:00Z","generationId":"g","metadataKey":"k",
       "status":"notified","updatedAt":"2026-11-27T09:00:30Z","attempts":0,"lastError":"",
       "audience":{"key":"audiences/b.csv","members":50000,"checksum":"c","bytes":4600000},
       "chunks":{"0":{"jobId":"j0","imported":25000,"rejected":0},"1":{"jobId":"j1","imported":25000,"rejected":0}},
       "upload":{"chunks":2,"imported":50000,"rejected":0},"failure":"","notified":true}""";

  private static BookingsReport.Seen seen(long atMs, long updatedMs) {
    return new BookingsReport.Seen(T0.plusMillis(atMs), T0.plusMillis(updatedMs));
  }

  /** Every status seen: creator run at 1 s, generating 1.05 s, generated 11 s, uploading 11.01 s, uploaded 29.9 s. */
  private static Map<Status, BookingsReport.Seen> everyStatus() {
    Map<Status, BookingsReport.Seen> seen = new EnumMap<>(Status.class);
    seen.put(Status.REQUESTED, seen(50, 0));
    seen.put(Status.GENERATING, seen(1_100, 1_050));
    seen.put(Status.GENERATED, seen(11_050, 11_000));
    seen.put(Status.UPLOADING, seen(11_100, 11_010));
    seen.put(Status.UPLOADED, seen(29_950, 29_900));
    seen.put(Status.NOTIFIED, seen(30_050, 30_000));
    return seen;
  }

  private static BookingsReport report(String booking, Map<Status, BookingsReport.Seen> seen,
                                       BookingsReport.SandboxCheck sandbox, IngestReport.Heap heap) throws Exception {
    JsonNode b = booking == null ? MissingNode.getInstance() : JSON.readTree(booking);
    return new BookingsReport(OPTIONS, SETUP, new BookingsReport.Timeline(T0, T0.plusSeconds(1), seen,
        Duration.ofMillis(100)), b, heap, sandbox, 7_000, Map.of("wall_s", 30.0));
  }

  @Test
  void ratesAreTheBookingsCountsOverTheTimesOfItsTransitions() throws Exception {
    ObjectNode r = report(NOTIFIED, everyStatus(), EXACT, HEAP).toJson();
    assertThat(r.path("members").asInt()).isEqualTo(MEMBERS);
    assertThat(r.path("booking_to_notified_ms").asLong()).isEqualTo(30_000);
    assertThat(r.path("audience_ms").asLong()).isEqualTo(10_000);
    assertThat(r.path("audience_rows_per_s").asDouble()).isEqualTo(5_000.0);
    assertThat(r.path("export_ms").asLong()).isEqualTo(9_950);
    assertThat(r.path("upload_ms").asLong()).isEqualTo(18_890);
    assertThat(r.path("upload_rows_per_s").asDouble()).isEqualTo(2_646.9);
    assertThat(r.path("notify_ms").asLong()).isEqualTo(100);
    assertThat(r.path("requested_to_creator_ms").asLong()).isEqualTo(1_000);
    assertThat(r.path("chunks").asLong()).isEqualTo(2);
    assertThat(r.path("imported").asLong()).isEqualTo(MEMBERS);
    assertThat(r.path("rejected").asLong()).isZero();
    assertThat(r.path("audience_bytes").asLong()).isEqualTo(4_600_000);
    assertThat(r.path("status").asText()).isEqualTo("notified");
    assertThat(r.path("status_poll_ms").asLong()).isEqualTo(100);
    assertThat(r.path("sandbox_completion_delay_ms").asLong()).isEqualTo(50);
    assertThat(r.has("failure")).isFalse();
  }

  @Test
  void aStatusShorterThanAPollTakesTheNextSeenStatussStart() throws Exception {
    Map<Status, BookingsReport.Seen> seen = everyStatus();
    seen.remove(Status.GENERATED);
    seen.remove(Status.UPLOADED);
    BookingsReport r = report(NOTIFIED, seen, EXACT, HEAP);
    assertThat(r.since(Status.GENERATED)).contains(T0.plusMillis(11_010));
    assertThat(r.since(Status.UPLOADED)).contains(T0.plusMillis(30_000));
    ObjectNode json = r.toJson();
    assertThat(json.path("audience_ms").asLong()).isEqualTo(10_010);
    assertThat(json.path("upload_ms").asLong()).isEqualTo(18_990);
    assertThat(json.path("notify_ms").asLong()).isZero();
  }

  @Test
  void okNeedsNotifiedAndExactlyTheSegmentsMembersOnceInTheSandbox() throws Exception {
    assertThat(report(NOTIFIED, everyStatus(), EXACT, HEAP).ok()).isTrue();
    assertThat(report(NOTIFIED, everyStatus(), new BookingsReport.SandboxCheck(MEMBERS, 3, 0), HEAP).ok()).isFalse();
    assertThat(report(NOTIFIED, everyStatus(), new BookingsReport.SandboxCheck(MEMBERS - 1, 0, 0), HEAP).ok())
        .isFalse();
    assertThat(report(NOTIFIED, everyStatus(), new BookingsReport.SandboxCheck(MEMBERS, 0, 1), HEAP).ok()).isFalse();
    String failed = NOTIFIED.replace("\"status\":\"notified\"", "\"status\":\"failed\"")
        .replace("\"failure\":\"\"", "\"failure\":\"import job j1 failed\"");
    BookingsReport f = report(failed, everyStatus(), EXACT, HEAP);
    assertThat(f.ok()).isFalse();
    assertThat(f.toJson().path("booking_to_notified_ms").isNull()).isTrue();
    assertThat(f.toJson().path("failure").asText()).isEqualTo("import job j1 failed");
  }

  @Test
  void theSandboxCheckCountsRepeatsAndMembersOfOtherSegments() {
    BookingsReport.SandboxCheck c = BookingsReport.SandboxCheck.of(Map.of(BookingsDataset.segmentMemberId(0), 1,
        BookingsDataset.segmentMemberId(1), 2, BookingsDataset.otherMemberId(0), 1), BookingsDataset::isSegmentMember);
    assertThat(c).isEqualTo(new BookingsReport.SandboxCheck(3, 1, 1));
  }

  @Test
  void heapOverTheTargetFailsItsFlagOnly() throws Exception {
    ObjectNode r = report(NOTIFIED, everyStatus(), EXACT, new IngestReport.Heap(530, 120, 512, 70)).toJson();
    assertThat(r.path("peak_heap_mb").asLong()).isEqualTo(530);
    assertThat(r.path("heap_after_gc_mb").asLong()).isEqualTo(120);
    assertThat(r.path("target_peak_heap_mb").asLong()).isEqualTo(512);
    assertThat(r.path("peak_heap_ok").asBoolean()).isFalse();
    assertThat(r.path("ok").asBoolean()).isTrue();
  }

  @Test
  void nothingReadGivesNullFiguresAndNotOk() throws Exception {
    BookingsReport r = report(null, Map.of(), new BookingsReport.SandboxCheck(0, 0, 0), HEAP);
    ObjectNode json = r.toJson();
    assertThat(r.ok()).isFalse();
    assertThat(json.path("status").asText()).isEqualTo("none");
    assertThat(json.path("audience_rows_per_s").isNull()).isTrue();
    assertThat(json.path("upload_rows_per_s").isNull()).isTrue();
    assertThat(json.path("booking_to_notified_ms").isNull()).isTrue();
  }
}
