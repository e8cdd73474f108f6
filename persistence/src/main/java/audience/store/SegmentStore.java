package audience.store;

import audience.config.Settings.Retry;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.Select;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The segments read model: one row per (generation, segment), hash key {@code generation}, range key
 * {@code segmentId}. A shard consumer writes a segment's row once its metadata document is in S3, so a row says
 * "this segment's metadata exists, with this checksum"; the generator counts a generation's rows to know when its
 * manifest may be written. Rows are aggregates only (no member, no personal data). When a newer generation becomes
 * the latest, the previous one's rows are marked {@code retired} (kept for history, not bookable); a late or
 * repeated consumer write never brings a retired row back.
 */
public final class SegmentStore {
  public static final String GENERATION = "generation";
  public static final String SEGMENT_ID = "segmentId";
  public static final String STATUS = "status";
  public static final String ACTIVE = "active";
  public static final String RETIRED = "retired";
  /** The partition holding one row per generation (its phase): no generation id starts with '#'. */
  static final String GENERATIONS = "#generations";
  /** Rows per Query page when a generation is read whole. */
  private static final int QUERY_PAGE = 500;

  private final DynamoDbAsyncClient dynamo;
  private final String table;
  private final Retry retry;

  public SegmentStore(DynamoDbAsyncClient dynamo, String table, Retry retry) {
    this.dynamo = dynamo;
    this.table = table;
    this.retry = retry;
  }

  public String table() {
    return table;
  }

  /**
   * One segment of one generation as the read model has it.
   *
   * @param priceBand the band's label, e.g. {@code 1000000-1500000} or {@code 3000000-plus}
   * @param metadataKey the S3 key of its metadata document in the segments bucket
   * @param checksum SHA-256 hex of that document's bytes
   * @param bytes that document's size
   */
  public record SegmentRow(String generation, String segmentId, String state, String suburb, String intent,
                           String propertyType, String priceBand, long audience, String metadataKey, String checksum,
                           long bytes, String sourceRunId, Instant generatedAt, String status) {
    public boolean active() {
      return ACTIVE.equals(status);
    }
  }

  /**
   * Where a generation stands, kept beside its segments: how a node finds generations to wake after a crash, and
   * which ones exist. {@code phase} is the generator's ({@code scanning}, {@code publishing}, {@code completed}).
   */
  public record GenerationRow(String generationId, String runId, String phase, long segments, String manifestKey,
                              Instant updatedAt) {
    public static final String COMPLETED = "completed";

    public boolean completed() {
      return COMPLETED.equals(phase);
    }
  }

  /** Records a generation's phase (last write wins: only its generator writes it). */
  public CompletableFuture<Void> putGeneration(GenerationRow g) {
    Map<String, AttributeValue> item = Map.of(GENERATION, s(GENERATIONS), SEGMENT_ID, s(g.generationId()),
        "runId", s(g.runId()), "phase", s(g.phase()), "segments", n(g.segments()),
        "manifestKey", s(g.manifestKey()), "updatedAt", s(g.updatedAt().toString()));
    return Retrying.call(retry, () -> dynamo.putItem(b -> b.tableName(table).item(item))).thenApply(r -> null);
  }

  /** Every generation's row, newest update first. */
  public CompletableFuture<List<GenerationRow>> generations() {
    List<GenerationRow> rows = new ArrayList<>();
    return eachItem(GENERATIONS, null, i -> rows.add(new GenerationRow(i.get(SEGMENT_ID).s(), i.get("runId").s(),
        i.get("phase").s(), Long.parseLong(i.get("segments").n()), i.get("manifestKey").s(),
        Instant.parse(i.get("updatedAt").s()))))
        .thenApply(v -> {
          rows.sort(java.util.Comparator.comparing(GenerationRow::updatedAt).reversed());
          return rows;
        });
  }

  /** Which rows a listing keeps; null fields do not filter. */
  public record Filter(String state, String suburb, String intent, String propertyType, long minAudience)
      implements Predicate<SegmentRow> {
    public static final Filter ALL = new Filter(null, null, null, null, 0);

    @Override
    public boolean test(SegmentRow r) {
      return (state == null || state.equalsIgnoreCase(r.state()))
          && (suburb == null || suburb.equalsIgnoreCase(r.suburb()))
          && (intent == null || intent.equalsIgnoreCase(r.intent()))
          && (propertyType == null || propertyType.equalsIgnoreCase(r.propertyType()))
          && r.audience() >= minAudience;
    }
  }

  /**
   * Writes (or rewrites, identically) an active row. A row already retired stays retired: the write is then a
   * no-op. Retried with backoff on throttling and server errors.
   */
  public CompletableFuture<Void> put(SegmentRow row) {
    Map<String, AttributeValue> item = toItem(row);
    return Retrying.call(retry, () -> dynamo.putItem(b -> b.tableName(table).item(item)
            .conditionExpression("attribute_not_exists(#g) OR #s <> :retired")
            .expressionAttributeNames(Map.of("#g", GENERATION, "#s", STATUS))
            .expressionAttributeValues(Map.of(":retired", s(RETIRED)))))
        .<Void>thenApply(r -> null)
        .exceptionally(e -> {
          if (Retrying.unwrap(e) instanceof ConditionalCheckFailedException) return null; // retired meanwhile
          throw e instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(e);
        });
  }

  /** How many segments of {@code generation} have their row (their metadata is in S3). */
  public CompletableFuture<Long> count(String generation) {
    return countFrom(generation, null, 0);
  }

  private CompletableFuture<Long> countFrom(String generation, Map<String, AttributeValue> start, long sum) {
    QueryRequest.Builder q = query(generation).select(Select.COUNT);
    if (start != null) q.exclusiveStartKey(start);
    return Retrying.call(retry, () -> dynamo.query(q.build())).thenCompose(r -> {
      long total = sum + r.count();
      return r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
          ? countFrom(generation, r.lastEvaluatedKey(), total) : CompletableFuture.completedFuture(total);
    });
  }

  /** Every row of {@code generation} in segment id order, handed to {@code each} a page at a time. */
  public CompletableFuture<Void> forEach(String generation, Consumer<SegmentRow> each) {
    return eachItem(generation, null, i -> each.accept(fromItem(i)));
  }

  private CompletableFuture<Void> eachItem(String partition, Map<String, AttributeValue> start,
                                           Consumer<Map<String, AttributeValue>> each) {
    QueryRequest.Builder q = query(partition).limit(QUERY_PAGE);
    if (start != null) q.exclusiveStartKey(start);
    return Retrying.call(retry, () -> dynamo.query(q.build())).thenCompose(r -> {
      r.items().forEach(each);
      return r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
          ? eachItem(partition, r.lastEvaluatedKey(), each) : CompletableFuture.completedFuture(null);
    });
  }

  /** The rows of {@code generation} that {@code filter} keeps, in segment id order. */
  public CompletableFuture<List<SegmentRow>> list(String generation, Filter filter) {
    List<SegmentRow> rows = new ArrayList<>();
    return forEach(generation, r -> {
      if (filter.test(r)) rows.add(r);
    }).thenApply(v -> rows);
  }

  /** One segment of one generation. */
  public CompletableFuture<Optional<SegmentRow>> get(String generation, String segmentId) {
    return Retrying.call(retry, () -> dynamo.getItem(b -> b.tableName(table).consistentRead(true)
            .key(Map.of(GENERATION, s(generation), SEGMENT_ID, s(segmentId)))))
        .thenApply(r -> r.hasItem() && !r.item().isEmpty() ? Optional.of(fromItem(r.item())) : Optional.empty());
  }

  /** Marks one row retired (idempotent). */
  public CompletableFuture<Void> retireOne(String generation, String segmentId) {
    return Retrying.call(retry, () -> dynamo.updateItem(b -> b.tableName(table)
        .key(Map.of(GENERATION, s(generation), SEGMENT_ID, s(segmentId)))
        .updateExpression("SET #s = :retired")
        .expressionAttributeNames(Map.of("#s", STATUS))
        .expressionAttributeValues(Map.of(":retired", s(RETIRED))))).thenApply(r -> null);
  }

  /** Marks every row of {@code generation} retired (idempotent); answers how many rows it has. */
  public CompletableFuture<Long> retire(String generation) {
    List<String> ids = new ArrayList<>();
    return forEach(generation, r -> ids.add(r.segmentId())).thenCompose(v -> {
      CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
      for (String id : ids) chain = chain.thenCompose(x -> retireOne(generation, id));
      return chain.thenApply(x -> (long) ids.size());
    });
  }

  private QueryRequest.Builder query(String generation) {
    return QueryRequest.builder().tableName(table).consistentRead(true)
        .keyConditionExpression("#g = :g")
        .expressionAttributeNames(Map.of("#g", GENERATION))
        .expressionAttributeValues(Map.of(":g", s(generation)));
  }

  static Map<String, AttributeValue> toItem(SegmentRow r) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put(GENERATION, s(r.generation()));
    m.put(SEGMENT_ID, s(r.segmentId()));
    m.put("state", s(r.state()));
    m.put("suburb", s(r.suburb()));
    m.put("intent", s(r.intent()));
    m.put("propertyType", s(r.propertyType()));
    m.put("priceBand", s(r.priceBand()));
    m.put("audience", n(r.audience()));
    m.put("metadataKey", s(r.metadataKey()));
    m.put("checksum", s(r.checksum()));
    m.put("bytes", n(r.bytes()));
    m.put("sourceRunId", s(r.sourceRunId()));
    m.put("generatedAt", s(r.generatedAt().toString()));
    m.put(STATUS, s(r.status()));
    return m;
  }

  static SegmentRow fromItem(Map<String, AttributeValue> i) {
    return new SegmentRow(i.get(GENERATION).s(), i.get(SEGMENT_ID).s(), i.get("state").s(), i.get("suburb").s(),
        i.get("intent").s(), i.get("propertyType").s(), i.get("priceBand").s(), Long.parseLong(i.get("audience").n()),
        i.get("metadataKey").s(), i.get("checksum").s(), Long.parseLong(i.get("bytes").n()),
        i.get("sourceRunId").s(), Instant.parse(i.get("generatedAt").s()), i.get(STATUS).s());
  }

  private static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  private static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }
}
