package audience.store;

import audience.store.QuarantineLayout.ShardPage;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Bad files, one row per (run, file key) with the reason it was refused, spread over {@link QuarantineLayout#SHARDS}
 * partitions per run (see {@link QuarantineLayout}). Writing the same file twice in a run keeps one row, so redone
 * chunks never double-count. Rows expire {@code retention} after they were written (TTL attribute
 * {@link QuarantineLayout#EXPIRES_AT}).
 */
public final class QuarantineStore {
  /** The largest page {@link #page} serves (a DynamoDB Query page of quarantine rows stays far below 1 MB). */
  public static final int MAX_PAGE = 1000;
  private static final String RUN_ID = "runId";
  private static final String BUCKET = "bucket";
  private static final String KIND = "kind";
  private static final String REASON = "reason";
  private static final String AT = "at";

  private final DynamoDbAsyncClient dynamo;
  private final String table;
  private final BatchWriter writer;
  private final Duration retention;

  public QuarantineStore(DynamoDbAsyncClient dynamo, String table, BatchWriter writer, Duration retention) {
    this.dynamo = dynamo;
    this.table = table;
    this.writer = writer;
    this.retention = retention;
  }

  /** A refused file: where it is, why ("KIND: detail"), and which run saw it. */
  public record Quarantined(String runId, String bucket, String fileKey, String kind, String reason, Instant at) {}

  /** Up to a page of a run's rows in file key order; {@code next} is where the next page starts, null at the end. */
  public record Page(List<Quarantined> entries, String next) {}

  public String table() {
    return table;
  }

  /** Writes up to 25 entries in one BatchWriteItem (with retries). */
  public CompletableFuture<Void> write(List<Quarantined> entries) {
    return writer.put(table, entries.stream().map(this::toItem).toList(),
        item -> item.get(QuarantineLayout.PARTITION_KEY).s() + "\n" + item.get(QuarantineLayout.SORT_KEY).s());
  }

  /**
   * The run's next {@code limit} (1..{@link #MAX_PAGE}) rows after file key {@code after} (null or empty: from the
   * first), in key order; only those of {@code kind} when it is not null.
   */
  public CompletableFuture<Page> page(String runId, String kind, String after, int limit) {
    if (limit < 1 || limit > MAX_PAGE) {
      throw new IllegalArgumentException("a quarantine page holds 1.." + MAX_PAGE + " rows, not " + limit);
    }
    List<CompletableFuture<ShardPage<Quarantined>>> shards = QuarantineLayout.partitionKeys(runId).stream()
        .map(pk -> {
          List<Quarantined> rows = new ArrayList<>();
          return query(new Query(pk, kind, after, null, limit), null, 0, item -> rows.add(fromItem(item)))
              .thenApply(exhausted -> new ShardPage<>(rows, exhausted));
        }).toList();
    return CompletableFuture.allOf(shards.toArray(CompletableFuture[]::new)).thenApply(v -> {
      var merged = QuarantineLayout.merge(shards.stream().map(CompletableFuture::join).toList(), limit,
          Quarantined::fileKey);
      return new Page(merged.rows(), merged.next());
    });
  }

  /** Every row of a run, in key order (each shard read whole, in parallel). */
  public CompletableFuture<List<Quarantined>> forRun(String runId) {
    List<Quarantined> rows = Collections.synchronizedList(new ArrayList<>());
    return everyShard(runId, null, item -> rows.add(fromItem(item))).thenApply(v -> {
      List<Quarantined> sorted = new ArrayList<>(rows);
      sorted.sort((a, b) -> QuarantineLayout.KEY_ORDER.compare(a.fileKey(), b.fileKey()));
      return sorted;
    });
  }

  /** How many rows of a run there are of each kind, by kind name (only the kind attribute is read). */
  public CompletableFuture<SortedMap<String, Long>> countsByKind(String runId) {
    SortedMap<String, Long> counts = new TreeMap<>();
    return everyShard(runId, KIND, item -> {
      synchronized (counts) {
        counts.merge(item.get(KIND).s(), 1L, Long::sum);
      }
    }).thenApply(v -> counts);
  }

  private CompletableFuture<Void> everyShard(String runId, String projection, Consumer<Map<String, AttributeValue>> sink) {
    return CompletableFuture.allOf(QuarantineLayout.partitionKeys(runId).stream()
        .map(pk -> query(new Query(pk, null, null, projection, Integer.MAX_VALUE), null, 0, sink))
        .toArray(CompletableFuture[]::new));
  }

  /** One shard's rows after {@code after}, of {@code kind} when not null, at most {@code limit}. */
  private record Query(String partitionKey, String kind, String after, String projection, int limit) {}

  /**
   * Hands the query's rows to {@code sink}, page after page from {@code start} (null: the first), until
   * {@code limit} rows or the shard's end; completes with whether the shard's end was reached.
   */
  private CompletableFuture<Boolean> query(Query q, Map<String, AttributeValue> start, int collected,
                                           Consumer<Map<String, AttributeValue>> sink) {
    Map<String, String> names = new HashMap<>();
    Map<String, AttributeValue> values = new HashMap<>();
    names.put("#p", QuarantineLayout.PARTITION_KEY);
    values.put(":p", AttributeValue.fromS(q.partitionKey()));
    String condition = "#p = :p";
    if (q.after() != null && !q.after().isEmpty()) {
      names.put("#f", QuarantineLayout.SORT_KEY);
      values.put(":a", AttributeValue.fromS(q.after()));
      condition += " AND #f > :a";
    }
    QueryRequest.Builder r = QueryRequest.builder().tableName(table).keyConditionExpression(condition);
    if (q.kind() != null) {
      names.put("#k", KIND);
      values.put(":k", AttributeValue.fromS(q.kind()));
      r.filterExpression("#k = :k");
    }
    if (q.projection() != null) {
      names.put("#x", q.projection());
      r.projectionExpression("#x");
    }
    // Limit caps the rows read before the filter: ask for no more than are still wanted.
    if (q.limit() != Integer.MAX_VALUE) r.limit(q.limit() - collected);
    if (start != null) r.exclusiveStartKey(start);
    r.expressionAttributeNames(names).expressionAttributeValues(values);
    return dynamo.query(r.build()).thenCompose(page -> {
      page.items().forEach(sink);
      int now = collected + page.items().size();
      boolean end = !page.hasLastEvaluatedKey() || page.lastEvaluatedKey().isEmpty();
      if (end) return CompletableFuture.completedFuture(true);
      if (now >= q.limit()) return CompletableFuture.completedFuture(false);
      return query(q, page.lastEvaluatedKey(), now, sink);
    });
  }

  private Map<String, AttributeValue> toItem(Quarantined q) {
    Map<String, AttributeValue> item = new HashMap<>();
    item.put(QuarantineLayout.PARTITION_KEY, AttributeValue.fromS(QuarantineLayout.partitionKey(q.runId(), q.fileKey())));
    item.put(QuarantineLayout.SORT_KEY, AttributeValue.fromS(q.fileKey()));
    item.put(RUN_ID, AttributeValue.fromS(q.runId()));
    item.put(BUCKET, AttributeValue.fromS(q.bucket()));
    item.put(KIND, AttributeValue.fromS(q.kind()));
    item.put(REASON, AttributeValue.fromS(q.reason()));
    item.put(AT, AttributeValue.fromS(q.at().toString()));
    item.put(QuarantineLayout.EXPIRES_AT,
        AttributeValue.fromN(Long.toString(QuarantineLayout.expiresAt(q.at(), retention))));
    return item;
  }

  static Quarantined fromItem(Map<String, AttributeValue> i) {
    return new Quarantined(i.get(RUN_ID).s(), i.get(BUCKET).s(), i.get(QuarantineLayout.SORT_KEY).s(),
        i.get(KIND).s(), i.get(REASON).s(), Instant.parse(i.get(AT).s()));
  }
}
