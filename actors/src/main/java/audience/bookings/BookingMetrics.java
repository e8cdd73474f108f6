package audience.bookings;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bookings feature's meters, their names in one place (docs/operations.md, "Metrics"). Tags are statuses and
 * outcomes only: no booking, segment or member id. The status gauge counts the bookings held by the segment booking
 * entities on this node (summed over the nodes, every booking of the cluster whose entity is awake).
 */
public final class BookingMetrics {
  public static final String BOOKINGS = "audience.bookings";
  public static final String UPLOADS = "audience.bookings.uploads";
  public static final String UPLOAD_FAILURES = "audience.bookings.upload.failures";
  public static final String ROWS = "audience.bookings.rows.uploaded";
  public static final String NOTIFICATIONS = "audience.bookings.notifications";
  static final String STATUS = "status";
  static final String OUTCOME = "outcome";
  static final String KIND = "kind";

  private final Counter uploaded;
  private final Counter uploadFailed;
  private final Counter callFailed;
  private final Counter rowsImported;
  private final Counter rowsRejected;
  private final Counter notified;
  private final Counter notifyFailed;
  /** Bookings by status, per segment booking entity on this node. */
  private final Map<String, Map<Booking.Status, Long>> byEntity = new ConcurrentHashMap<>();

  public BookingMetrics(MeterRegistry registry) {
    for (Booking.Status status : Booking.Status.values()) {
      Gauge.builder(BOOKINGS, byEntity, m -> total(m.values(), status)).tag(STATUS, status.wire())
          .description("Bookings in this status held by the booking entities on this node").register(registry);
    }
    this.uploaded = uploads(registry, "uploaded");
    this.uploadFailed = uploads(registry, "failed");
    this.callFailed = Counter.builder(UPLOAD_FAILURES).tag(KIND, "platform_call")
        .description("Failed calls to the EDM platform during uploads (each is retried up to upload.max-attempts)")
        .register(registry);
    this.rowsImported = rows(registry, "imported");
    this.rowsRejected = rows(registry, "rejected");
    this.notified = notifications(registry, "sent");
    this.notifyFailed = notifications(registry, "failed");
  }

  /** Meters kept in a registry of their own: for tests that build the feature's dependencies. */
  public static BookingMetrics unregistered() {
    return new BookingMetrics(new SimpleMeterRegistry());
  }

  private static Counter uploads(MeterRegistry registry, String outcome) {
    return Counter.builder(UPLOADS).tag(OUTCOME, outcome)
        .description("Uploads of an audience to the EDM platform that ended (failed: the booking fails)")
        .register(registry);
  }

  private static Counter rows(MeterRegistry registry, String outcome) {
    return Counter.builder(ROWS).tag(OUTCOME, outcome)
        .description("Audience rows the EDM platform's import jobs reported, imported or rejected").register(registry);
  }

  private static Counter notifications(MeterRegistry registry, String outcome) {
    return Counter.builder(NOTIFICATIONS).tag(OUTCOME, outcome)
        .description("Booking notifications published (failed: sent again later)").register(registry);
  }

  private static double total(Collection<Map<Booking.Status, Long>> entities, Booking.Status status) {
    return entities.stream().mapToLong(m -> m.getOrDefault(status, 0L)).sum();
  }

  /** The bookings entity {@code segmentId} holds now. */
  void held(String segmentId, Collection<Booking> bookings) {
    Map<Booking.Status, Long> counts = new EnumMap<>(Booking.Status.class);
    for (Booking b : bookings) counts.merge(b.status(), 1L, Long::sum);
    byEntity.put(segmentId, Map.copyOf(counts));
  }

  /** The entity stopped on this node: its bookings are no longer this node's to count. */
  void released(String segmentId) {
    byEntity.remove(segmentId);
  }

  void uploadEnded(boolean ok) {
    (ok ? uploaded : uploadFailed).increment();
  }

  void platformCallFailed() {
    callFailed.increment();
  }

  void rows(long imported, long rejected) {
    rowsImported.increment(Math.max(0, imported));
    rowsRejected.increment(Math.max(0, rejected));
  }

  void notification(boolean sent) {
    (sent ? notified : notifyFailed).increment();
  }
}
