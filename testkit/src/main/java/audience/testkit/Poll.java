package audience.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Polling with a deadline, for state in another process or behind HTTP where no probe can be subscribed:
 * asks again every {@code interval} until the answer satisfies {@code done}, and fails with the last answer
 * when the deadline passes. The pause between two asks only paces the polling; it never decides an outcome.
 */
public final class Poll {
  private Poll() {}

  public static <T> T until(String what, Duration timeout, Duration interval, Supplier<T> ask, Predicate<T> done) {
    Instant deadline = Instant.now().plus(timeout);
    T last = null;
    RuntimeException lastError = null;
    while (true) {
      try {
        last = ask.get();
        lastError = null;
        if (done.test(last)) return last;
      } catch (RuntimeException e) {
        lastError = e;
      }
      if (Instant.now().isAfter(deadline)) {
        AssertionError failure = new AssertionError("not " + what + " within " + timeout + "; last answer: " + last);
        if (lastError != null) failure.initCause(lastError);
        throw failure;
      }
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting until " + what, e);
      }
    }
  }
}
