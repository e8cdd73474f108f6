package audience.graphql;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * At most {@code requests} per subject within each fixed window of {@code window}. Windows of subjects that went
 * quiet are dropped once more than {@link #SWEEP_ABOVE} subjects are tracked, so memory stays bounded.
 */
public final class RateLimiter {
  static final int SWEEP_ABOVE = 10_000;
  private final int requests;
  private final long windowMillis;
  private final Clock clock;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  private record Window(long start, int count) {}

  /** What a request got: allowed, or refused with the seconds until the subject's window ends. */
  public sealed interface Decision permits Allowed, Refused {}

  public record Allowed() implements Decision {}

  public record Refused(long retryAfterSeconds) implements Decision {}

  public RateLimiter(int requests, Duration window, Clock clock) {
    this.requests = requests;
    this.windowMillis = window.toMillis();
    this.clock = clock;
  }

  /** Counts {@code permits} requests of {@code subject}; refused (and not counted) when they exceed the limit. */
  public Decision acquire(String subject, int permits) {
    long now = clock.millis();
    if (windows.size() > SWEEP_ABOVE) windows.values().removeIf(w -> now - w.start() >= windowMillis);
    boolean[] allowed = {false};
    Window w = windows.compute(subject, (k, old) -> {
      Window current = old == null || now - old.start() >= windowMillis ? new Window(now, 0) : old;
      if (current.count() + permits > requests) return current;
      allowed[0] = true;
      return new Window(current.start(), current.count() + permits);
    });
    if (allowed[0]) return new Allowed();
    long left = Math.max(w.start() + windowMillis - now, 0);
    return new Refused(Math.max(1, (left + MILLIS_PER_SECOND - 1) / MILLIS_PER_SECOND));
  }

  private static final long MILLIS_PER_SECOND = 1000;
}
