package audience.store;

import audience.config.Settings.Retry;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The bookings read model: one row per booking (hash key {@code bookingId}) in {@code audience.resources.bookings-table}.
 * The booking's entity writes the whole row after each of its events, with the event's sequence number as
 * {@code version}; a conditional put replaces the row only when the stored version is older, so a replay, a retry or a
 * late write never moves a booking backwards, and neither does a listing by status or by segment.
 *
 * <p>Listing is a Scan with filters (status, segment): bookings are made by people, a few per segment and day, so the
 * table stays small; a GSI on status would be the next step if it grew. No member data is in a row: the audience file
 * is named by its key and counted, never listed.
 */
public final class BookingStore {
  public static final String BOOKING_ID = "bookingId";
  static final String SEGMENT_ID = "segmentId";
  static final String CAMPAIGN = "campaign";
  static final String SEND_DATE = "sendDate";
  static final String REQUESTED_BY = "requestedBy";
  static final String STATUS = "status";
  static final String CREATED_AT = "createdAt";
  static final String UPDATED_AT = "updatedAt";
  static final String ATTEMPTS = "attempts";
  static final String LAST_ERROR = "lastError";
  static final String AUDIENCE_KEY = "audienceKey";
  static final String MEMBERS = "members";
  static final String PLATFORM_REF = "platformRef";
  static final String IMPORTED = "imported";
  static final String REJECTED = "rejected";
  static final String VERSION = "version";
  /** Only an older version (or none) is replaced. */
  private static final String OLDER = "attribute_not_exists(#id) OR #v < :v";

  private final DynamoDbAsyncClient dynamo;
  private final String table;
  private final Retry retry;

  public BookingStore(DynamoDbAsyncClient dynamo, String table, Retry retry) {
    this.dynamo = dynamo;
    this.table = table;
    this.retry = retry;
  }

  public String table() {
    return table;
  }

  /**
   * A booking as the read model has it.
   *
   * @param requestedBy who booked (an operator's name or id, not a member)
   * @param status the booking's status as its entity names it (e.g. {@code requested}, {@code exported})
   * @param attempts how many times its current step was tried
   * @param lastError the last failure's reason, "" when none (never personal data)
   * @param audienceKey the S3 key of its audience file, "" before the export
   * @param members rows of the audience file
   * @param platformRef the EDM platform's reference for the import, "" before it
   * @param imported members the platform imported
   * @param rejected members the platform rejected
   * @param version the entity's sequence number of the event this row shows
   */
  public record BookingRow(String bookingId, String segmentId, String campaign, LocalDate sendDate,
                           String requestedBy, String status, Instant createdAt, Instant updatedAt, int attempts,
                           String lastError, String audienceKey, long members, String platformRef, long imported,
                           long rejected, long version) {
    public BookingRow {
      Objects.requireNonNull(bookingId, BOOKING_ID);
      Objects.requireNonNull(segmentId, SEGMENT_ID);
      Objects.requireNonNull(sendDate, SEND_DATE);
      Objects.requireNonNull(status, STATUS);
      Objects.requireNonNull(createdAt, CREATED_AT);
      Objects.requireNonNull(updatedAt, UPDATED_AT);
      campaign = orEmpty(campaign);
      requestedBy = orEmpty(requestedBy);
      lastError = orEmpty(lastError);
      audienceKey = orEmpty(audienceKey);
      platformRef = orEmpty(platformRef);
    }

    private static String orEmpty(String s) {
      return s == null ? "" : s;
    }
  }

  /**
   * Writes {@code row} unless the stored row has the same or a newer version. Answers whether it was written.
   * Throttling and server errors are retried with backoff.
   */
  public CompletableFuture<Boolean> write(BookingRow row) {
    Map<String, AttributeValue> item = toItem(row);
    return Retrying.call(retry, () -> dynamo.putItem(b -> b.tableName(table).item(item)
            .conditionExpression(OLDER)
            .expressionAttributeNames(Map.of("#id", BOOKING_ID, "#v", VERSION))
            .expressionAttributeValues(Map.of(":v", n(row.version())))))
        .thenApply(r -> true)
        .exceptionally(e -> {
          if (Retrying.unwrap(e) instanceof ConditionalCheckFailedException) return false; // as new or newer there
          throw e instanceof CompletionException ce ? ce : new CompletionException(e);
        });
  }

  /** One booking, read consistently. */
  public CompletableFuture<Optional<BookingRow>> get(String bookingId) {
    return Retrying.call(retry, () -> dynamo.getItem(b -> b.tableName(table).consistentRead(true)
            .key(Map.of(BOOKING_ID, s(bookingId)))))
        .thenApply(r -> r.hasItem() && !r.item().isEmpty() ? Optional.of(fromItem(r.item())) : Optional.empty());
  }

  /**
   * The bookings with that status and of that segment (empty: any), oldest first (ties by booking id). A consistent
   * Scan of the table with a filter expression, every page.
   */
  public CompletableFuture<List<BookingRow>> list(Optional<String> status, Optional<String> segmentId) {
    Map<String, String> names = new HashMap<>();
    Map<String, AttributeValue> values = new HashMap<>();
    List<String> conditions = new ArrayList<>();
    status.ifPresent(v -> {
      names.put("#s", STATUS);
      values.put(":s", s(v));
      conditions.add("#s = :s");
    });
    segmentId.ifPresent(v -> {
      names.put("#seg", SEGMENT_ID);
      values.put(":seg", s(v));
      conditions.add("#seg = :seg");
    });
    ScanRequest.Builder b = ScanRequest.builder().tableName(table).consistentRead(true);
    if (!conditions.isEmpty()) {
      b.filterExpression(String.join(" AND ", conditions)).expressionAttributeNames(names)
          .expressionAttributeValues(values);
    }
    List<BookingRow> rows = new ArrayList<>();
    return scan(b.build(), null, rows).thenApply(v -> {
      rows.sort(Comparator.comparing(BookingRow::createdAt).thenComparing(BookingRow::bookingId));
      return rows;
    });
  }

  private CompletableFuture<Void> scan(ScanRequest first, Map<String, AttributeValue> start, List<BookingRow> rows) {
    ScanRequest request = start == null ? first : first.toBuilder().exclusiveStartKey(start).build();
    return Retrying.call(retry, () -> dynamo.scan(request)).thenCompose(r -> {
      r.items().forEach(i -> rows.add(fromItem(i)));
      return r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
          ? scan(first, r.lastEvaluatedKey(), rows) : CompletableFuture.completedFuture(null);
    });
  }

  static Map<String, AttributeValue> toItem(BookingRow r) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put(BOOKING_ID, s(r.bookingId()));
    m.put(SEGMENT_ID, s(r.segmentId()));
    m.put(CAMPAIGN, s(r.campaign()));
    m.put(SEND_DATE, s(r.sendDate().toString()));
    m.put(REQUESTED_BY, s(r.requestedBy()));
    m.put(STATUS, s(r.status()));
    m.put(CREATED_AT, s(r.createdAt().toString()));
    m.put(UPDATED_AT, s(r.updatedAt().toString()));
    m.put(ATTEMPTS, n(r.attempts()));
    m.put(LAST_ERROR, s(r.lastError()));
    m.put(AUDIENCE_KEY, s(r.audienceKey()));
    m.put(MEMBERS, n(r.members()));
    m.put(PLATFORM_REF, s(r.platformRef()));
    m.put(IMPORTED, n(r.imported()));
    m.put(REJECTED, n(r.rejected()));
    m.put(VERSION, n(r.version()));
    return m;
  }

  static BookingRow fromItem(Map<String, AttributeValue> i) {
    return new BookingRow(i.get(BOOKING_ID).s(), i.get(SEGMENT_ID).s(), i.get(CAMPAIGN).s(),
        LocalDate.parse(i.get(SEND_DATE).s()), i.get(REQUESTED_BY).s(), i.get(STATUS).s(),
        Instant.parse(i.get(CREATED_AT).s()), Instant.parse(i.get(UPDATED_AT).s()),
        Integer.parseInt(i.get(ATTEMPTS).n()), i.get(LAST_ERROR).s(), i.get(AUDIENCE_KEY).s(),
        Long.parseLong(i.get(MEMBERS).n()), i.get(PLATFORM_REF).s(), Long.parseLong(i.get(IMPORTED).n()),
        Long.parseLong(i.get(REJECTED).n()), Long.parseLong(i.get(VERSION).n()));
  }

  private static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  private static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }
}
