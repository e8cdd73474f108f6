package audience.bench;

import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the emulators can do at most, with nothing else in the way: a raw loop of S3 GETs over the generated
 * keys, and a raw loop of 25-item BatchWriteItem calls of ~1 KB items into a scratch table. Each loop keeps a
 * fixed number of requests in flight for a fixed time; the rate is what completed divided by the time until
 * the last in-flight request ended.
 */
final class Ceilings {
  static final int GET_IN_FLIGHT = 64;
  static final int WRITE_IN_FLIGHT = 16;
  static final int BATCH = 25;
  static final int ITEM_BYTES = 1000;

  private Ceilings() {}

  /** One measured rate. */
  record Rate(long count, long errors, long millis) {
    double perSecond() {
      return count * 1000.0 / Math.max(millis, 1);
    }
  }

  /** GETs per second, {@code inFlight} at a time, cycling over {@code keys}. */
  static Rate s3Get(S3AsyncClient s3, String bucket, List<String> keys, int inFlight, Duration duration)
      throws InterruptedException {
    Semaphore permits = new Semaphore(inFlight);
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    long t0 = System.nanoTime();
    long end = t0 + duration.toNanos();
    int i = 0;
    while (System.nanoTime() < end) {
      permits.acquire();
      String key = keys.get(i++ % keys.size());
      s3.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes()).whenComplete((r, e) -> {
        if (e == null) done.incrementAndGet();
        else if (errors.incrementAndGet() == 1) firstError.set(e);
        permits.release();
      });
    }
    permits.acquire(inFlight);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    if (done.get() == 0 && firstError.get() != null) throw new IllegalStateException("GET failed", firstError.get());
    return new Rate(done.get(), errors.get(), millis);
  }

  /**
   * Items per second stored by BatchWriteItem of {@link #BATCH} ~1 KB items, {@code inFlight} batches at a
   * time, into {@code table} (hash key {@code id}). Unprocessed items are not retried and not counted.
   */
  static Rate ddbBatchWrite(DynamoDbAsyncClient dynamo, String table, int inFlight, Duration duration)
      throws InterruptedException {
    String payload = "x".repeat(ITEM_BYTES - 100);
    Semaphore permits = new Semaphore(inFlight);
    AtomicLong items = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    long t0 = System.nanoTime();
    long end = t0 + duration.toNanos();
    long n = 0;
    while (System.nanoTime() < end) {
      permits.acquire();
      List<WriteRequest> batch = new ArrayList<>(BATCH);
      for (int k = 0; k < BATCH; k++, n++) {
        batch.add(WriteRequest.builder().putRequest(PutRequest.builder().item(Map.of(
            "id", AttributeValue.fromS(String.format("item-%012d", n)),
            "n", AttributeValue.fromN(Long.toString(n)),
            "payload", AttributeValue.fromS(payload))).build()).build());
      }
      dynamo.batchWriteItem(b -> b.requestItems(Map.of(table, batch))).whenComplete((r, e) -> {
        if (e == null) {
          items.addAndGet(BATCH - r.unprocessedItems().getOrDefault(table, List.of()).size());
        } else if (errors.incrementAndGet() == 1) {
          firstError.set(e);
        }
        permits.release();
      });
    }
    permits.acquire(inFlight);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    if (items.get() == 0 && firstError.get() != null) {
      throw new IllegalStateException("BatchWriteItem failed", firstError.get());
    }
    return new Rate(items.get(), errors.get(), millis);
  }
}
