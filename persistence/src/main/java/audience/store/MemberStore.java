package audience.store;

import audience.config.Settings;
import audience.config.Settings.Retry;
import audience.contract.Activity;
import audience.contract.MemberProfile;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The member store: one current item per member in the members table (hash key memberId). A snapshot replaces
 * the item only when it is newer: a conditional put, so whatever the order in which files are processed, and
 * however often one is redone, the newest {@code lastActive} wins; equal instants are decided by the greater source
 * key. Reading every current member is one scan of that table, whatever the number of past runs.
 *
 * <p>Beside it, the member-files table records which file gave which snapshot (no personal data; rows expire after
 * {@code audience.members.history-retention}): how a run is audited against its listing. An erased member is put
 * on the suppression list, which every export must respect, and their item is replaced by a tombstone: an item with
 * no profile whose {@code lastActive} is later than any file's, so that no later file can bring the member back
 * (the same conditional put that keeps the newest snapshot refuses it). Reads skip tombstones.
 */
public final class MemberStore {
  public static final String MEMBER_ID = "memberId";
  public static final String LAST_ACTIVE = "lastActive";
  public static final String SOURCE_KEY = "sourceKey";
  public static final String RUN_ID = "runId";
  public static final String EXPIRES_AT = "expiresAt";
  public static final String FORGOTTEN_AT = "forgottenAt";

  /** Newer wins; equal instants: the greater source key, so the outcome never depends on the order. */
  private static final String NEWER = "attribute_not_exists(#m) OR #la < :la OR (#la = :la AND #sk < :sk)";
  private static final String VALIDATION = "ValidationException";
  /** Items that are members, not tombstones. */
  private static final String NOT_FORGOTTEN = "attribute_not_exists(" + FORGOTTEN_AT + ")";
  /** A tombstone's lastActive: later than any instant a file can carry. */
  private static final long TOMBSTONE_LAST_ACTIVE = Long.MAX_VALUE;

  private final DynamoDbAsyncClient dynamo;
  private final Tables tables;
  private final BatchWriter writer;
  private final Retry retry;
  private final Duration historyRetention;
  private final Clock clock;

  /** The three tables of the member store. */
  public record Tables(String members, String memberFiles, String suppression) {}

  public MemberStore(DynamoDbAsyncClient dynamo, Tables tables, BatchWriter writer, Retry retry,
                     Duration historyRetention, Clock clock) {
    this.dynamo = dynamo;
    this.tables = tables;
    this.writer = writer;
    this.retry = retry;
    this.historyRetention = historyRetention;
    this.clock = clock;
  }

  /** The member store as configured ({@code audience.resources.*}, {@code audience.members}, ingestion retries). */
  public static MemberStore of(DynamoDbAsyncClient dynamo, Settings settings, Clock clock) {
    var r = settings.resources();
    Retry retry = settings.ingestion().retry();
    return new MemberStore(dynamo, new Tables(r.membersTable(), r.memberFilesTable(), r.suppressionTable()),
        new BatchWriter(dynamo, retry), retry, settings.members().historyRetention(), clock);
  }

  public Tables tables() {
    return tables;
  }

  /** A parsed member with where it came from. */
  public record Snapshot(MemberProfile profile, String sourceKey, String runId) {}

  /** What became of one snapshot. */
  public sealed interface Written {
    Snapshot snapshot();

    /** It is now the member's current item. */
    record Current(Snapshot snapshot) implements Written {}

    /**
     * A newer snapshot (or an equally new one from a greater key) was already current, or the member was erased:
     * nothing to do.
     */
    record Superseded(Snapshot snapshot) implements Written {}

    /** DynamoDB refuses to store this item, however often asked: the file's own fault. */
    record Refused(Snapshot snapshot, String reason) implements Written {}

    /** Still failing after the retries (throttling, server errors, timeouts): worth a redo later. */
    record Failed(Snapshot snapshot, Throwable error) implements Written {}
  }

  /**
   * Stores each snapshot that is newer than its member's current item, and records the stored files in the
   * member-files table (one BatchWriteItem for the lot, at most 25). Each snapshot has its own outcome; throttling
   * and server errors are retried with backoff, and a snapshot still failing after that is {@link Written.Failed}.
   * The stage fails only when the member-files write does. Repeating is harmless.
   */
  public CompletableFuture<List<Written>> write(List<Snapshot> snapshots) {
    List<CompletableFuture<Written>> puts = snapshots.stream().map(this::putIfNewer).toList();
    return CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).thenCompose(v -> {
      List<Written> written = puts.stream().map(CompletableFuture::join).toList();
      List<Map<String, AttributeValue>> files = new ArrayList<>();
      for (Written w : written) {
        if (w instanceof Written.Current || w instanceof Written.Superseded) files.add(fileItem(w.snapshot()));
      }
      return writer.put(tables.memberFiles(), files, item -> item.get(SOURCE_KEY).s()).thenApply(x -> written);
    });
  }

  private CompletableFuture<Written> putIfNewer(Snapshot snapshot) {
    MemberProfile p = snapshot.profile();
    Map<String, AttributeValue> item;
    try {
      item = toItem(snapshot);
    } catch (RuntimeException e) { // e.g. an instant the contract admits but epoch millis cannot hold
      return CompletableFuture.completedFuture(new Written.Refused(snapshot,
          "cannot be made into an item (" + e.getClass().getSimpleName() + ")"));
    }
    return Retrying.call(retry, () -> dynamo.putItem(b -> b.tableName(tables.members()).item(item)
            .conditionExpression(NEWER)
            .expressionAttributeNames(Map.of("#m", MEMBER_ID, "#la", LAST_ACTIVE, "#sk", SOURCE_KEY))
            .expressionAttributeValues(Map.of(":la", n(p.lastActive().toEpochMilli()),
                ":sk", s(snapshot.sourceKey())))))
        .<Written>thenApply(r -> new Written.Current(snapshot))
        .exceptionally(error -> {
          Throwable cause = Retrying.unwrap(error);
          if (cause instanceof ConditionalCheckFailedException) return new Written.Superseded(snapshot);
          if (cause instanceof DynamoDbException e && VALIDATION.equals(errorCode(e))) {
            return new Written.Refused(snapshot, refusal(e));
          }
          return new Written.Failed(snapshot, cause);
        });
  }

  private static String errorCode(DynamoDbException e) {
    return e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
  }

  /** DynamoDB's own words name the rule broken, not the value; a message that quotes an address is left out. */
  private static String refusal(DynamoDbException e) {
    String message = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorMessage();
    boolean safe = message != null && !message.isBlank() && !message.contains("@");
    return "DynamoDB refused the item (" + VALIDATION + (safe ? ": " + message : "") + ")";
  }

  /** The member's current item, if any (none once erased). */
  public CompletableFuture<Optional<Map<String, AttributeValue>>> current(String memberId) {
    return dynamo.getItem(b -> b.tableName(tables.members()).key(Map.of(MEMBER_ID, s(memberId))).consistentRead(true))
        .thenApply(r -> isMember(r.hasItem() ? r.item() : null) ? Optional.of(r.item()) : Optional.empty());
  }

  private static boolean isMember(Map<String, AttributeValue> item) {
    return item != null && !item.isEmpty() && !item.containsKey(FORGOTTEN_AT);
  }

  /**
   * Every current member (erased ones left out), {@code segments} parallel scan segments; {@code projection} null for
   * whole items.
   */
  public CompletableFuture<Void> scanCurrent(String projection, int segments, Consumer<Map<String, AttributeValue>> each) {
    return scanCurrent(projection, Map.of(), segments, each);
  }

  /** As above, the projection written with placeholders ({@code names}), e.g. for {@code state}, a reserved word. */
  public CompletableFuture<Void> scanCurrent(String projection, Map<String, String> names, int segments,
                                             Consumer<Map<String, AttributeValue>> each) {
    return TableScan.scan(dynamo, tables.members(), projection, names, NOT_FORGOTTEN, segments, each);
  }

  /**
   * Erasure: the member goes on the suppression list first (so a crash in between still leaves them suppressed),
   * then their item is replaced by a tombstone that no later file can supersede. Idempotent; answers whether the
   * member had a current profile.
   */
  public CompletableFuture<Boolean> forget(String memberId) {
    AttributeValue at = s(clock.instant().toString());
    Map<String, AttributeValue> suppressed = Map.of(MEMBER_ID, s(memberId), FORGOTTEN_AT, at);
    Map<String, AttributeValue> tombstone = Map.of(MEMBER_ID, s(memberId), FORGOTTEN_AT, at,
        LAST_ACTIVE, n(TOMBSTONE_LAST_ACTIVE));
    return Retrying.call(retry, () -> dynamo.putItem(b -> b.tableName(tables.suppression()).item(suppressed)))
        .thenCompose(v -> Retrying.call(retry, () -> dynamo.putItem(b -> b.tableName(tables.members())
            .item(tombstone).returnValues("ALL_OLD"))))
        .thenApply(r -> isMember(r.hasAttributes() ? r.attributes() : null));
  }

  /**
   * One page of a Scan of the current members (tombstones left out) that match {@code filter}: at most 1 MB of the
   * table read per call, whatever the filter keeps. {@code start} is the previous page's {@link ScanPage#next} (null
   * for the first). Throttling and server errors are retried with backoff.
   */
  public CompletableFuture<ScanPage> scanPage(ScanFilter filter, Map<String, AttributeValue> start) {
    ScanRequest.Builder b = ScanRequest.builder().tableName(tables.members()).consistentRead(true)
        .filterExpression("(" + filter.expression() + ") AND " + NOT_FORGOTTEN)
        .expressionAttributeNames(filter.names()).expressionAttributeValues(filter.values());
    if (filter.projection() != null) b.projectionExpression(filter.projection());
    if (start != null && !start.isEmpty()) b.exclusiveStartKey(start);
    ScanRequest request = b.build();
    return Retrying.call(retry, () -> dynamo.scan(request)).thenApply(r -> new ScanPage(r.items(),
        r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null));
  }

  /**
   * A Scan's filter: {@code expression} over placeholders ({@code names}, {@code values}), and the attributes to read
   * ({@code projection} over the same names; null for whole items).
   */
  public record ScanFilter(String projection, String expression, Map<String, String> names,
                           Map<String, AttributeValue> values) {
    public ScanFilter {
      Objects.requireNonNull(expression, "expression");
      names = Map.copyOf(names);
      values = Map.copyOf(values);
    }
  }

  /** One page of members; {@code next} null on the last page. */
  public record ScanPage(List<Map<String, AttributeValue>> items, Map<String, AttributeValue> next) {
    public ScanPage {
      items = List.copyOf(items);
    }

    public boolean last() {
      return next == null;
    }
  }

  /** Keys per BatchGetItem call (DynamoDB's limit). */
  public static final int MAX_BATCH_GET_KEYS = 100;

  /**
   * Which of {@code memberIds} are on the suppression list: BatchGetItem, {@value #MAX_BATCH_GET_KEYS} keys a call,
   * one call after the other, read consistently; unprocessed keys are asked again after a backoff, and a call still
   * leaving keys unprocessed after {@code retry.maxAttempts} fails the stage (an export must not go without them).
   */
  public CompletableFuture<Set<String>> suppressedAmong(Collection<String> memberIds) {
    List<String> ids = List.copyOf(new LinkedHashSet<>(memberIds));
    Set<String> found = new HashSet<>();
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (int from = 0; from < ids.size(); from += MAX_BATCH_GET_KEYS) {
      List<Map<String, AttributeValue>> keys = ids.subList(from, Math.min(from + MAX_BATCH_GET_KEYS, ids.size()))
          .stream().map(id -> Map.of(MEMBER_ID, s(id))).toList();
      chain = chain.thenCompose(v -> batchGet(keys, 1, found));
    }
    return chain.thenApply(v -> found);
  }

  private CompletableFuture<Void> batchGet(List<Map<String, AttributeValue>> keys, int attempt, Set<String> found) {
    KeysAndAttributes request = KeysAndAttributes.builder().keys(keys).projectionExpression(MEMBER_ID)
        .consistentRead(true).build();
    return Retrying.call(retry, () -> dynamo.batchGetItem(b -> b.requestItems(Map.of(tables.suppression(), request))))
        .thenCompose(r -> {
          r.responses().getOrDefault(tables.suppression(), List.of()).forEach(i -> found.add(i.get(MEMBER_ID).s()));
          KeysAndAttributes left = r.hasUnprocessedKeys() ? r.unprocessedKeys().get(tables.suppression()) : null;
          if (left == null || left.keys().isEmpty()) return CompletableFuture.completedFuture(null);
          if (attempt >= retry.maxAttempts()) {
            return CompletableFuture.failedFuture(new IllegalStateException("the suppression list left "
                + left.keys().size() + " keys unprocessed after " + attempt + " attempts"));
          }
          return Retrying.after(retry, attempt, () -> batchGet(left.keys(), attempt + 1, found));
        });
  }

  /** Whether the member was erased: exports leave such members out. */
  public CompletableFuture<Boolean> suppressed(String memberId) {
    return dynamo.getItem(b -> b.tableName(tables.suppression()).key(Map.of(MEMBER_ID, s(memberId)))
        .consistentRead(true)).thenApply(r -> r.hasItem() && !r.item().isEmpty());
  }

  /** DynamoDB's item size limit. */
  public static final int MAX_ITEM_BYTES = 400 * 1024;
  private static final int FIXED_FIELDS_BYTES = 512;
  private static final int ACTIVITY_OVERHEAD_BYTES = 64;

  /**
   * An upper estimate of the stored item's size, in UTF-8 bytes as DynamoDB counts them: a valid file larger than
   * DynamoDB allows is quarantined as OVERSIZE before any write.
   */
  public static long estimatedItemBytes(MemberProfile p, String sourceKey) {
    long bytes = FIXED_FIELDS_BYTES + utf8Bytes(p.email()) + utf8Bytes(p.suburb()) + 2L * utf8Bytes(sourceKey);
    for (Activity a : p.activity()) bytes += ACTIVITY_OVERHEAD_BYTES + utf8Bytes(a.listingId());
    return bytes;
  }

  /** The length of {@code s} in UTF-8, without encoding it. */
  static long utf8Bytes(String s) {
    long bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) bytes += 1;
      else if (c < 0x800) bytes += 2;
      else if (Character.isHighSurrogate(c)) {
        bytes += 4;
        i++; // the low surrogate is part of the same code point
      } else bytes += 3;
    }
    return bytes;
  }

  /** The member-files row of a stored snapshot: which file, which member, which run; no personal data. */
  private Map<String, AttributeValue> fileItem(Snapshot snapshot) {
    long expires = clock.instant().plus(historyRetention).getEpochSecond();
    return Map.of(SOURCE_KEY, s(snapshot.sourceKey()), MEMBER_ID, s(snapshot.profile().memberId()),
        LAST_ACTIVE, n(snapshot.profile().lastActive().toEpochMilli()), RUN_ID, s(snapshot.runId()),
        EXPIRES_AT, n(expires));
  }

  /** The item a snapshot is stored as. */
  public static Map<String, AttributeValue> toItem(Snapshot snapshot) {
    MemberProfile p = snapshot.profile();
    Map<String, AttributeValue> item = new HashMap<>(24);
    item.put(MEMBER_ID, s(p.memberId()));
    item.put(LAST_ACTIVE, n(p.lastActive().toEpochMilli()));
    item.put("lastActiveAt", s(p.lastActive().toString()));
    item.put("email", s(p.email()));
    item.put("optIn", AttributeValue.fromBool(p.optIn()));
    item.put("suburb", s(p.suburb()));
    item.put("postcode", s(p.postcode()));
    item.put("state", s(p.state().wire()));
    item.put("intent", s(p.intent().wire()));
    item.put("propertyType", s(p.propertyType().wire()));
    item.put("bedrooms", n(p.bedrooms()));
    item.put("priceMin", n(p.priceMin()));
    item.put("priceMax", n(p.priceMax()));
    if (!p.activity().isEmpty()) {
      item.put("activity", AttributeValue.fromL(p.activity().stream().map(MemberStore::activity).toList()));
    }
    item.put(SOURCE_KEY, s(snapshot.sourceKey()));
    item.put(RUN_ID, s(snapshot.runId()));
    return item;
  }

  private static AttributeValue activity(Activity a) {
    return AttributeValue.fromM(Map.of(
        "type", s(a.type().wire()),
        "listingId", s(a.listingId()),
        "at", s(a.at().toString())));
  }

  static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }
}
