package audience.store;

import audience.config.Settings.Retry;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/** Retries of AWS calls with exponential backoff, for the errors worth another try. */
public final class Retrying {
  private Retrying() {}

  /** Throttling, server errors and client-side I/O failures are worth another try; validation errors are not. */
  public static boolean retryable(Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof SdkServiceException s) return s.isThrottlingException() || s.statusCode() >= 500;
    return c instanceof SdkClientException;
  }

  public static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  /** Calls {@code call} until it succeeds, fails with a non-retryable error, or {@code retry.maxAttempts} are spent. */
  public static <T> CompletableFuture<T> call(Retry retry, Supplier<CompletableFuture<T>> call) {
    return attempt(retry, call, 1);
  }

  private static <T> CompletableFuture<T> attempt(Retry retry, Supplier<CompletableFuture<T>> call, int n) {
    return call.get().handle((value, error) -> {
      if (error == null) return CompletableFuture.completedFuture(value);
      if (!retryable(error) || n >= retry.maxAttempts()) return CompletableFuture.<T>failedFuture(unwrap(error));
      return after(retry, n, () -> attempt(retry, call, n + 1));
    }).thenCompose(Function.identity());
  }

  /**
   * Runs {@code next} after the backoff for attempt {@code n}, with "equal jitter" (half the backoff plus a random
   * part of the other half), so that callers throttled together do not come back together.
   */
  public static <T> CompletableFuture<T> after(Retry retry, int n, Supplier<CompletableFuture<T>> next) {
    long delay = jittered(retry.backoff(n)).toMillis();
    return CompletableFuture.supplyAsync(next, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS))
        .thenCompose(Function.identity());
  }

  /** "Equal jitter" of {@code backoff}: half of it plus a random part of the other half. */
  public static java.time.Duration jittered(java.time.Duration backoff) {
    long ms = backoff.toMillis();
    return java.time.Duration.ofMillis(ms / 2 + ThreadLocalRandom.current().nextLong(ms / 2 + 1));
  }

  /** The jittered exponential backoff of attempt {@code n} (1-based) from {@code min}, capped at {@code max}. */
  public static java.time.Duration backoff(java.time.Duration min, java.time.Duration max, int n) {
    return jittered(new Retry(Integer.MAX_VALUE, min, max).backoff(n));
  }
}
