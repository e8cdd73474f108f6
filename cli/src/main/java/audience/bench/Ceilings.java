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

  /**
   * CPU milliseconds (of the calling thread) to parse and validate one file alone, averaged over up to
   * {@code maxFiles} of {@code bodies}, after one untimed pass to warm the code up.
   */
  static double parseCpuMsPerFile(java.util.function.IntFunction<byte[]> bodies, int files, int maxFiles,
                                  java.util.function.Consumer<byte[]> parse) {
    int n = Math.min(files, maxFiles);
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    List<byte[]> sample = new ArrayList<>(n);
    for (int i = 0; i < n; i++) sample.add(bodies.apply(i));
    sample.forEach(parse);
    long cpu0 = threads.getCurrentThreadCpuTime();
    sample.forEach(parse);
    return (threads.getCurrentThreadCpuTime() - cpu0) / 1e6 / Math.max(n, 1);
  }

  /**
   * One measured rate; {@code cpuNanos}: the CPU this JVM (the client) spent meanwhile, the floor of what the same
   * calls cost any client.
   */
  record Rate(long count, long errors, long millis, long cpuNanos) {
    double perSecond() {
      return count * 1000.0 / Math.max(millis, 1);
    }

    /** Client CPU milliseconds per unit (GET, item). */
    double cpuMsPerUnit() {
      return cpuNanos / 1e6 / Math.max(count, 1);
    }
  }

  /** This JVM's CPU time so far. */
  static long processCpuNanos() {
    return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
  }

  /** GETs per second, {@code inFlight} at a time, cycling over {@code keys}. */
  static Rate s3Get(S3AsyncClient s3, String bucket, List<String> keys, int inFlight, Duration duration)
      throws InterruptedException {
    Semaphore permits = new Semaphore(inFlight);
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    long cpu0 = processCpuNanos();
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
    return new Rate(done.get(), errors.get(), millis, processCpuNanos() - cpu0);
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
    long cpu0 = processCpuNanos();
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
    return new Rate(items.get(), errors.get(), millis, processCpuNanos() - cpu0);
  }
}
