package audience.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Answers of a read kept for a short time, per key: concurrent readers of a missing or expired key share one call
 * (no stampede on a read model when many browsers ask for the same page), and a failed call is not kept (the
 * next reader calls again, as is an answer the caller says not to keep). A {@code ttl} of zero keeps nothing. At
 * most {@code maxEntries} are kept: past it the expired ones are dropped, and while it is still reached a new key is
 * read without being kept (keys a client chooses, such as variables, cannot grow the cache without bound).
 */
public final class ReadCache<K, V> {
  private record Entry<V>(CompletableFuture<V> value, Instant expires) {}

  private final Duration ttl;
  private final Clock clock;
  private final int maxEntries;
  private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();

  public ReadCache(Duration ttl, Clock clock, int maxEntries) {
    this.ttl = ttl;
    this.clock = clock;
    this.maxEntries = maxEntries;
  }

  public CompletionStage<V> get(K key, Supplier<CompletionStage<V>> read) {
    return get(key, read, v -> true);
  }

  /** As {@link #get(Object, Supplier)}, keeping an answer only when {@code keep} says so (its readers still get it). */
  public CompletionStage<V> get(K key, Supplier<CompletionStage<V>> read, java.util.function.Predicate<V> keep) {
    if (ttl.isZero()) return read.get();
    Instant now = clock.instant();
    if (entries.size() >= maxEntries && !entries.containsKey(key)) {
      entries.values().removeIf(e -> !now.isBefore(e.expires()) && e.value().isDone());
      if (entries.size() >= maxEntries) return read.get();
    }
    boolean[] mine = {false};
    Entry<V> entry = entries.compute(key, (k, old) -> {
      if (old != null && now.isBefore(old.expires())) return old;
      mine[0] = true;
      return new Entry<>(new CompletableFuture<>(), now.plus(ttl));
    });
    if (mine[0]) {
      CompletionStage<V> call;
      try {
        call = read.get();
      } catch (RuntimeException e) {
        call = CompletableFuture.failedFuture(e);
      }
      call.whenComplete((v, error) -> {
        if (error != null) {
          entries.remove(key, entry);
          entry.value().completeExceptionally(error);
        } else {
          if (!keep.test(v)) entries.remove(key, entry);
          entry.value().complete(v);
        }
      });
    }
    return entry.value().copy();
  }
}
