package audience.bookings;

import audience.CborSerializable;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One booking of a segment and where its lifecycle stands: requested → generating → generated → uploading →
 * uploaded → notified, or cancelled (only before the upload starts), or failed (with the reason; notified too).
 * Immutable: every change is a new record, made by an event of {@link SegmentBooking}.
 *
 * @param generationId the generation the segment was booked in; {@code metadataKey} its metadata document
 * @param chunks the upload's chunks so far: chunk number to its job (and its counts once imported)
 * @param notified whether the notification of the final transition (uploaded or failed) is confirmed sent
 * @param history every status the booking entered, oldest first (empty for a booking recovered from before it was kept)
 */
public record Booking(String bookingId, String segmentId, String campaign, LocalDate sendDate, String requestedBy,
                      Instant createdAt, String generationId, String metadataKey, Status status, Instant updatedAt,
                      int attempts, String lastError, Audience audience, Map<Integer, ChunkJob> chunks,
                      Upload upload, String failure, boolean notified, List<Transition> history)
    implements CborSerializable {

  /** One step of the lifecycle: the status the booking entered, and when. */
  public record Transition(Status status, Instant at) implements CborSerializable {}

  /** The lifecycle; the wire value is lower case. */
  public enum Status {
    REQUESTED, GENERATING, GENERATED, UPLOADING, UPLOADED, NOTIFIED, CANCELLED, FAILED;

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Status fromWire(String wire) {
      return valueOf(wire.toUpperCase(Locale.ROOT));
    }

    /** Cancelled, failed or notified: nothing more happens to the booking. */
    public boolean terminal() {
      return this == CANCELLED || this == FAILED || this == NOTIFIED;
    }

    /** Still takes the segment's send date (a second booking of that date is refused). */
    public boolean holdsSendDate() {
      return this != CANCELLED && this != FAILED;
    }
  }

  /** The audience file: where, how many members, SHA-256. */
  public record Audience(String key, long members, String checksum, long bytes) implements CborSerializable {}

  /** One chunk's import job; {@code imported} and {@code rejected} are -1 until it completed. */
  public record ChunkJob(String jobId, long imported, long rejected) implements CborSerializable {
    public boolean done() {
      return imported >= 0;
    }
  }

  /** The finished upload: chunks, rows imported and rejected by the platform. */
  public record Upload(int chunks, long imported, long rejected) implements CborSerializable {}

  public Booking {
    chunks = chunks == null ? Map.of() : Map.copyOf(new TreeMap<>(chunks));
    lastError = lastError == null ? "" : lastError;
    failure = failure == null ? "" : failure;
    history = history == null ? List.of() : List.copyOf(history);
  }

  /** The history with {@code next} appended when it is a change of status. */
  private List<Transition> moved(Status next, Instant at) {
    if (next == status && !history.isEmpty()) return history;
    List<Transition> h = new ArrayList<>(history);
    h.add(new Transition(next, at));
    return h;
  }

  static Booking requested(String bookingId, String segmentId, String campaign, LocalDate sendDate, String by,
                           String generationId, String metadataKey, Instant at) {
    return new Booking(bookingId, segmentId, campaign, sendDate, by, at, generationId, metadataKey, Status.REQUESTED,
        at, 0, "", null, Map.of(), null, "", false,
        List.of(new Transition(Status.REQUESTED, at)));
  }

  Booking with(Status s, Instant at) {
    return new Booking(bookingId, segmentId, campaign, sendDate, requestedBy, createdAt, generationId, metadataKey, s,
        at, attempts, lastError, audience, chunks, upload, failure, notified, moved(s, at));
  }

  Booking attemptFailed(String error, Instant at) {
    return new Booking(bookingId, segmentId, campaign, sendDate, requestedBy, createdAt, generationId, metadataKey,
        status, at, attempts + 1, error, audience, chunks, upload, failure, notified, history);
  }

  Booking generated(Audience a, Instant at) {
    return new Booking(bookingId, segmentId, campaign, sendDate, requestedBy, createdAt, generationId, metadataKey,
        Status.GENERATED, at, attempts, lastError, a, chunks, upload, failure, notified, moved(Status.GENERATED, at));
  }

  Booking chunk(int chunk, ChunkJob job, Instant at) {
    Map<Integer, ChunkJob> next = new TreeMap<>(chunks);
    next.put(chunk, job);
    return new Booking(bookingId, segmentId, campaign, sendDate, requestedBy, createdAt, generationId, metadataKey,
        status, at, attempts, lastError, audience, next, upload, failure, notified, history);
  }

  Booking uploaded(Upload u, Instant at) {
    return new Booking(bookingId, segmentId, campaign, sendDate, requestedBy, createdAt, generationId, metadataKey,
        Status.UPLOADED, at, attempts, lastError, audience, chunks, u, failure, notified, moved(Status.UPLOADED, at));
  }

  Booking failed(String reason, Instant at) {
    return new Booking(bookingId, segmentId, campaign, sendDate, requestedBy, createdAt, generationId, metadataKey,
        Status.FAILED, at, attempts, lastError, audience, chunks, upload, reason, notified, moved(Status.FAILED, at));
  }

  Booking notifiedAt(Instant at) {
    Status next = status == Status.UPLOADED ? Status.NOTIFIED : status;
    return new Booking(bookingId, segmentId, campaign, sendDate, requestedBy, createdAt, generationId, metadataKey,
        next, at, attempts, lastError, audience, chunks, upload, failure, true, moved(next, at));
  }

  /** Uploaded or failed, and the notification not yet confirmed: the outbox's effect is due. */
  public boolean notificationDue() {
    return !notified && (status == Status.UPLOADED || status == Status.FAILED);
  }
}
