package audience.store;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One call per key while fresh, shared by concurrent readers; failures and expired answers are read again. */
class ReadCacheTest {
  private static final Duration TTL = Duration.ofSeconds(1);
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T00:00:00Z"));
  private final AtomicInteger calls = new AtomicInteger();

  private static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant now) { this.now = now; }

    void advance(Duration d) { now = now.plus(d); }

    @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }

    @Override public Clock withZone(java.time.ZoneId zone) { return this; }

    @Override public Instant instant() { return now; }
  }

  private CompletionStage<String> read(String value) {
    calls.incrementAndGet();
    return CompletableFuture.completedFuture(value);
  }

  @Test
  void aFreshAnswerIsReadOnceAndAnExpiredOneAgain() {
    ReadCache<String, String> cache = new ReadCache<>(TTL, clock, 100);
    assertThat(cache.get("k", () -> read("a")).toCompletableFuture().join()).isEqualTo("a");
    assertThat(cache.get("k", () -> read("b")).toCompletableFuture().join()).isEqualTo("a");
    assertThat(cache.get("other", () -> read("c")).toCompletableFuture().join()).isEqualTo("c");
    assertThat(calls).hasValue(2);
    clock.advance(TTL);
    assertThat(cache.get("k", () -> read("d")).toCompletableFuture().join()).isEqualTo("d");
    assertThat(calls).hasValue(3);
  }

  @Test
  void concurrentReadersOfAMissingKeyShareOneCall() {
    ReadCache<String, String> cache = new ReadCache<>(TTL, clock, 100);
    CompletableFuture<String> slow = new CompletableFuture<>();
    CompletionStage<String> first = cache.get("k", () -> { calls.incrementAndGet(); return slow; });
    CompletionStage<String> second = cache.get("k", () -> read("never"));
    assertThat(second.toCompletableFuture()).isNotDone();
    slow.complete("once");
    assertThat(first.toCompletableFuture().join()).isEqualTo("once");
    assertThat(second.toCompletableFuture().join()).isEqualTo("once");
    assertThat(calls).hasValue(1);
  }

  @Test
  void aFailureIsNotKeptAndAReaderCannotCompleteTheSharedAnswer() {
    ReadCache<String, String> cache = new ReadCache<>(TTL, clock, 100);
    CompletionStage<String> failed = cache.get("k", () -> CompletableFuture.failedFuture(new IllegalStateException("down")));
    assertThatThrownBy(() -> failed.toCompletableFuture().join()).hasMessageContaining("down");
    CompletionStage<String> next = cache.get("k", () -> read("up"));
    next.toCompletableFuture().complete("tampered");
    assertThat(cache.get("k", () -> read("again")).toCompletableFuture().join()).isEqualTo("up");
    assertThat(calls).hasValue(1);
  }

  @Test
  void atMostMaxEntriesAreKeptExpiredOnesMakeRoomAndANewKeyBeyondIsReadUncached() {
    ReadCache<String, String> cache = new ReadCache<>(TTL, clock, 2);
    cache.get("a", () -> read("a")).toCompletableFuture().join();
    cache.get("b", () -> read("b")).toCompletableFuture().join();
    assertThat(cache.get("c", () -> read("c1")).toCompletableFuture().join()).isEqualTo("c1");
    assertThat(cache.get("c", () -> read("c2")).toCompletableFuture().join()).as("full: not kept").isEqualTo("c2");
    assertThat(cache.get("a", () -> read("again")).toCompletableFuture().join()).as("kept ones still served")
        .isEqualTo("a");
    clock.advance(TTL);
    cache.get("c", () -> read("c3")).toCompletableFuture().join();
    assertThat(cache.get("c", () -> read("c4")).toCompletableFuture().join()).as("room made by expiry")
        .isEqualTo("c3");
    assertThat(calls).hasValue(5);
  }

  @Test
  void aZeroTtlKeepsNothing() {
    ReadCache<String, String> cache = new ReadCache<>(Duration.ZERO, clock, 100);
    cache.get("k", () -> read("a")).toCompletableFuture().join();
    cache.get("k", () -> read("a")).toCompletableFuture().join();
    assertThat(calls).hasValue(2);
  }
}
