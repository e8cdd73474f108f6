package audience.store;

import audience.config.Settings.Retry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * BatchWriteItem of up to 25 puts with the retries DynamoDB asks for: UnprocessedItems are sent again,
 * throttling, 5xx and I/O errors are retried, each with exponential backoff, up to {@code retry.maxAttempts}.
 */
public final class BatchWriter {
  private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);
  public static final int MAX_BATCH = 25;

  private final DynamoDbAsyncClient dynamo;
  private final Retry retry;

  public BatchWriter(DynamoDbAsyncClient dynamo, Retry retry) {
    this.dynamo = dynamo;
    this.retry = retry;
  }

  /**
   * Puts {@code items} (at most 25) into {@code table}. Items sharing a primary key are collapsed to the
   * last one first, since DynamoDB refuses duplicate keys within one batch.
   */
  public CompletableFuture<Void> put(String table, List<Map<String, AttributeValue>> items,
                                     Function<Map<String, AttributeValue>, Object> primaryKey) {
    if (items.size() > MAX_BATCH) throw new IllegalArgumentException("at most 25 items per batch, got " + items.size());
    if (items.isEmpty()) return CompletableFuture.completedFuture(null);
    Map<Object, WriteRequest> unique = new LinkedHashMap<>();
    for (Map<String, AttributeValue> item : items) {
      unique.put(primaryKey.apply(item), WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
    }
    return attempt(table, new ArrayList<>(unique.values()), 1);
  }

  private CompletableFuture<Void> attempt(String table, List<WriteRequest> requests, int attempt) {
    return dynamo.batchWriteItem(b -> b.requestItems(Map.of(table, requests)))
        .handle((BatchWriteItemResponse response, Throwable error) -> {
          if (error != null) {
            Throwable cause = Retrying.unwrap(error);
            if (!Retrying.retryable(cause) || attempt >= retry.maxAttempts()) {
              return CompletableFuture.<Void>failedFuture(cause);
            }
            log.debug("batch write to {} failed (attempt {}), retrying: {}", table, attempt, cause.toString());
            return Retrying.after(retry, attempt, () -> attempt(table, requests, attempt + 1));
          }
          List<WriteRequest> unprocessed = response.unprocessedItems().getOrDefault(table, List.of());
          if (unprocessed.isEmpty()) return CompletableFuture.<Void>completedFuture(null);
          if (attempt >= retry.maxAttempts()) {
            return CompletableFuture.<Void>failedFuture(new IllegalStateException(
                unprocessed.size() + " items still unprocessed in " + table + " after " + attempt + " attempts"));
          }
          return Retrying.after(retry, attempt, () -> attempt(table, unprocessed, attempt + 1));
        })
        .thenCompose(Function.identity());
  }
}
