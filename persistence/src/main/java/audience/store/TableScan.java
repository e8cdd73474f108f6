package audience.store;

import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/** A parallel Scan of a whole table, items handed to a (thread-safe) sink: for read-back checks and reports. */
public final class TableScan {
  private TableScan() {}

  public static CompletableFuture<Void> scan(DynamoDbAsyncClient dynamo, String table, String projection,
                                             int segments, Consumer<Map<String, AttributeValue>> sink) {
    return scan(dynamo, table, projection, null, segments, sink);
  }

  /** As above, only items matching {@code filter} (a DynamoDB filter expression, null for all). */
  public static CompletableFuture<Void> scan(DynamoDbAsyncClient dynamo, String table, String projection,
                                             String filter, int segments, Consumer<Map<String, AttributeValue>> sink) {
    return scan(dynamo, table, projection, Map.of(), filter, segments, sink);
  }

  /** As above, with expression attribute {@code names} (placeholders for reserved words such as {@code state}). */
  public static CompletableFuture<Void> scan(DynamoDbAsyncClient dynamo, String table, String projection,
                                             Map<String, String> names, String filter, int segments,
                                             Consumer<Map<String, AttributeValue>> sink) {
    return CompletableFuture.allOf(IntStream.range(0, segments)
        .mapToObj(seg -> segment(dynamo, request(table, projection, names, filter, seg, segments), null, sink))
        .toArray(CompletableFuture[]::new));
  }

  private static ScanRequest request(String table, String projection, Map<String, String> names, String filter,
                                     int seg, int total) {
    ScanRequest.Builder b = ScanRequest.builder().tableName(table).segment(seg).totalSegments(total);
    if (projection != null) b.projectionExpression(projection);
    if (filter != null) b.filterExpression(filter);
    if (!names.isEmpty()) b.expressionAttributeNames(names);
    return b.build();
  }

  private static CompletableFuture<Void> segment(DynamoDbAsyncClient dynamo, ScanRequest first,
                                                 Map<String, AttributeValue> start,
                                                 Consumer<Map<String, AttributeValue>> sink) {
    ScanRequest request = start == null ? first : first.toBuilder().exclusiveStartKey(start).build();
    return dynamo.scan(request).thenCompose(r -> {
      r.items().forEach(sink);
      return r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
          ? segment(dynamo, first, r.lastEvaluatedKey(), sink)
          : CompletableFuture.completedFuture(null);
    });
  }
}
