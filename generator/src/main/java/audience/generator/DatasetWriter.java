package audience.generator;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * Writes a generated data set to S3.
 *
 * <p>Bounded: one producer thread builds the files in index order and may only start a PUT after
 * taking one of {@code concurrency} permits, which the PUT gives back when it ends; so at most
 * {@code concurrency} requests (and bodies) are in flight and nothing queues up. Each PUT is
 * retried up to {@link #MAX_RETRIES} times with exponential backoff and jitter on client errors
 * (I/O, timeouts) and on 5xx / throttling responses; any other failure, or a PUT that still fails
 * after its retries, stops the run: no new PUT starts, the ones in flight finish, and the future
 * fails with that error. Re-running is safe: the same spec writes the same keys and bytes.
 *
 * <p>Bodies are stored as generated: {@code .json.gz} objects hold gzip bytes, with {@code
 * Content-Type: application/json} and no {@code Content-Encoding} (so no client inflates them on
 * the way).
 */
public final class DatasetWriter {

  /** Retries after the first attempt of one PUT. */
  public static final int MAX_RETRIES = 5;

  private final Duration baseBackoff;
  private final Duration maxBackoff;

  /** Backoff 200 ms, 400 ms, ... capped at 5 s. */
  public DatasetWriter() {
    this(Duration.ofMillis(200), Duration.ofSeconds(5));
  }

  public DatasetWriter(Duration baseBackoff, Duration maxBackoff) {
    this.baseBackoff = Objects.requireNonNull(baseBackoff, "baseBackoff");
    this.maxBackoff = Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (baseBackoff.isNegative() || maxBackoff.compareTo(baseBackoff) < 0) {
      throw new IllegalArgumentException(
          "need 0 <= baseBackoff <= maxBackoff, was " + baseBackoff + ", " + maxBackoff);
    }
  }

  /**
   * Creates the bucket when missing, then PUTs every file of {@code gen}.
   *
   * @param concurrency maximum PUTs in flight, at least 1
   * @param progress called with the number of files written so far after each one completes;
   *     calls are serialised and the values strictly increase, but they come from SDK threads, so
   *     keep it quick
   * @return the data set's ground truth once every file is stored
   */
  public CompletableFuture<GroundTruth> write(
      S3AsyncClient s3, DatasetGenerator gen, int concurrency, LongConsumer progress) {
    Objects.requireNonNull(s3, "s3");
    Objects.requireNonNull(gen, "gen");
    Objects.requireNonNull(progress, "progress");
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be >= 1, was " + concurrency);
    }
    String bucket = gen.spec().bucket();
    CompletableFuture<GroundTruth> result = new CompletableFuture<>();
    ensureBucket(s3, bucket).whenComplete((ok, error) -> {
      if (error != null) {
        result.completeExceptionally(unwrap(error));
        return;
      }
      Thread producer = new Thread(
          () -> putAll(s3, gen, bucket, concurrency, progress, result), "dataset-writer-" + bucket);
      producer.setDaemon(true);
      producer.start();
    });
    return result;
  }

  private void putAll(S3AsyncClient s3, DatasetGenerator gen, String bucket, int concurrency,
      LongConsumer progress, CompletableFuture<GroundTruth> result) {
    Semaphore permits = new Semaphore(concurrency);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Object progressLock = new Object();
    long[] done = {0}; // guarded by progressLock
    try {
      for (int i = 0; i < gen.files() && failure.get() == null; i++) {
        permits.acquire();
        GeneratedFile file;
        try {
          file = gen.file(i);
        } catch (RuntimeException e) {
          permits.release();
          throw e;
        }
        putWithRetry(s3, bucket, file, 0).whenComplete((response, error) -> {
          try {
            if (error != null) {
              failure.compareAndSet(null, new IllegalStateException(
                  "PUT s3://" + bucket + "/" + file.key() + " failed", unwrap(error)));
            } else {
              synchronized (progressLock) {
                progress.accept(++done[0]);
              }
            }
          } catch (RuntimeException e) { // a failing progress callback stops the run too
            failure.compareAndSet(null, e);
          } finally {
            permits.release();
          }
        });
      }
      permits.acquire(concurrency); // every PUT in flight has ended
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure.compareAndSet(null, e);
    } catch (RuntimeException e) {
      failure.compareAndSet(null, e);
      permits.acquireUninterruptibly(concurrency);
    }
    Throwable f = failure.get();
    if (f != null) {
      result.completeExceptionally(f);
      return;
    }
    try {
      result.complete(gen.groundTruth());
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
  }

  private CompletableFuture<PutObjectResponse> putWithRetry(
      S3AsyncClient s3, String bucket, GeneratedFile file, int attempt) {
    PutObjectRequest request = PutObjectRequest.builder()
        .bucket(bucket)
        .key(file.key())
        .contentType("application/json")
        .contentLength((long) file.body().length)
        .build();
    CompletableFuture<PutObjectResponse> put;
    try {
      put = s3.putObject(request, AsyncRequestBody.fromBytesUnsafe(file.body()));
    } catch (RuntimeException e) {
      put = CompletableFuture.failedFuture(e);
    }
    return put.handle((response, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(response);
      }
      Throwable cause = unwrap(error);
      if (attempt < MAX_RETRIES && isRetryable(cause)) {
        Executor later = CompletableFuture.delayedExecutor(backoffMillis(attempt),
            TimeUnit.MILLISECONDS);
        return CompletableFuture.supplyAsync(() -> attempt + 1, later)
            .thenCompose(next -> putWithRetry(s3, bucket, file, next));
      }
      return CompletableFuture.<PutObjectResponse>failedFuture(cause);
    }).thenCompose(Function.identity());
  }

  /** Full jitter: uniform in [base * 2^attempt / 2, base * 2^attempt], capped. */
  private long backoffMillis(int attempt) {
    long ceiling = Math.min(maxBackoff.toMillis(), baseBackoff.toMillis() << Math.min(attempt, 20));
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
  }

  /** I/O and timeouts (client side), 5xx, 429 and throttling; not other 4xx. */
  static boolean isRetryable(Throwable t) {
    if (t instanceof AwsServiceException e) {
      return e.statusCode() >= 500 || e.statusCode() == 429 || e.isThrottlingException();
    }
    if (t instanceof SdkClientException) {
      return true;
    }
    return t instanceof SdkException e && e.retryable();
  }

  // ---------------------------------------------------------------------------------------------
  // bucket

  private static CompletableFuture<Void> ensureBucket(S3AsyncClient s3, String bucket) {
    return s3.headBucket(b -> b.bucket(bucket))
        .<CompletableFuture<Void>>handle((ok, error) -> {
          if (error == null) {
            return CompletableFuture.completedFuture(null);
          }
          Throwable cause = unwrap(error);
          boolean missing = cause instanceof NoSuchBucketException
              || (cause instanceof S3Exception e && e.statusCode() == 404);
          if (!missing) {
            return CompletableFuture.failedFuture(cause);
          }
          return createBucket(s3, bucket, true);
        })
        .thenCompose(Function.identity());
  }

  /**
   * Outside us-east-1 real S3 needs the region as location constraint; an emulator that refuses
   * the constraint gets a second, plain request.
   */
  private static CompletableFuture<Void> createBucket(
      S3AsyncClient s3, String bucket, boolean withLocation) {
    Region region = s3.serviceClientConfiguration().region();
    CreateBucketRequest.Builder request = CreateBucketRequest.builder().bucket(bucket);
    boolean located = withLocation && region != null && !Region.US_EAST_1.equals(region);
    if (located) {
      request.createBucketConfiguration(c -> c.locationConstraint(region.id()));
    }
    return s3.createBucket(request.build())
        .<CompletableFuture<Void>>handle((ok, error) -> {
          Throwable cause = error == null ? null : unwrap(error);
          if (cause == null || cause instanceof BucketAlreadyOwnedByYouException) {
            return CompletableFuture.completedFuture(null);
          }
          if (located && cause instanceof S3Exception e && e.statusCode() == 400) {
            return createBucket(s3, bucket, false);
          }
          return CompletableFuture.failedFuture(cause);
        })
        .thenCompose(Function.identity());
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
