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
    return CompletableFuture.allOf(IntStream.range(0, segments)
        .mapToObj(seg -> segment(dynamo, table, projection, seg, segments, null, sink))
        .toArray(CompletableFuture[]::new));
  }

  private static CompletableFuture<Void> segment(DynamoDbAsyncClient dynamo, String table, String projection,
                                                 int seg, int total, Map<String, AttributeValue> start,
                                                 Consumer<Map<String, AttributeValue>> sink) {
    ScanRequest.Builder b = ScanRequest.builder().tableName(table).segment(seg).totalSegments(total);
    if (projection != null) b.projectionExpression(projection);
    if (start != null) b.exclusiveStartKey(start);
    return dynamo.scan(b.build()).thenCompose(r -> {
      r.items().forEach(sink);
      return r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
          ? segment(dynamo, table, projection, seg, total, r.lastEvaluatedKey(), sink)
          : CompletableFuture.completedFuture(null);
    });
  }
}
