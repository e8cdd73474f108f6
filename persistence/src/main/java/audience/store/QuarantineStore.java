package audience.store;

import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Bad files, one item per (runId, fileKey) with the reason it was refused. Writing the same file twice
 * in a run keeps one item, so redone chunks never double-count.
 */
public final class QuarantineStore {
  private final DynamoDbAsyncClient dynamo;
  private final String table;
  private final BatchWriter writer;

  public QuarantineStore(DynamoDbAsyncClient dynamo, String table, BatchWriter writer) {
    this.dynamo = dynamo;
    this.table = table;
    this.writer = writer;
  }

  /** A refused file: where it is, why ("KIND: detail"), and which run saw it. */
  public record Quarantined(String runId, String bucket, String fileKey, String kind, String reason, Instant at) {}

  public String table() {
    return table;
  }

  /** Writes up to 25 entries in one BatchWriteItem (with retries). */
  public CompletableFuture<Void> write(List<Quarantined> entries) {
    return writer.put(table, entries.stream().map(QuarantineStore::toItem).toList(),
        item -> item.get("fileKey").s());
  }

  /** Every entry of a run, in key order (paginated Query). */
  public CompletableFuture<List<Quarantined>> forRun(String runId) {
    List<Quarantined> out = new ArrayList<>();
    return page(runId, null, out).thenApply(v -> out);
  }

  private CompletableFuture<Void> page(String runId, Map<String, AttributeValue> start, List<Quarantined> out) {
    QueryRequest.Builder q = QueryRequest.builder().tableName(table)
        .keyConditionExpression("runId = :r")
        .expressionAttributeValues(Map.of(":r", AttributeValue.fromS(runId)));
    if (start != null) q.exclusiveStartKey(start);
    return dynamo.query(q.build()).thenCompose(r -> {
      r.items().forEach(i -> out.add(fromItem(i)));
      return r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
          ? page(runId, r.lastEvaluatedKey(), out) : CompletableFuture.completedFuture(null);
    });
  }

  static Map<String, AttributeValue> toItem(Quarantined q) {
    Map<String, AttributeValue> item = new HashMap<>(8);
    item.put("runId", AttributeValue.fromS(q.runId()));
    item.put("fileKey", AttributeValue.fromS(q.fileKey()));
    item.put("bucket", AttributeValue.fromS(q.bucket()));
    item.put("kind", AttributeValue.fromS(q.kind()));
    item.put("reason", AttributeValue.fromS(q.reason()));
    item.put("at", AttributeValue.fromS(q.at().toString()));
    return item;
  }

  static Quarantined fromItem(Map<String, AttributeValue> i) {
    return new Quarantined(i.get("runId").s(), i.get("bucket").s(), i.get("fileKey").s(), i.get("kind").s(),
        i.get("reason").s(), Instant.parse(i.get("at").s()));
  }
}
