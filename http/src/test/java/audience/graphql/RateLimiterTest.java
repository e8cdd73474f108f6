package audience.graphql;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimiterTest {
  private static final int LIMIT = 3;
  private static final Duration WINDOW = Duration.ofSeconds(10);

  /** A clock the test moves. */
  private static final class Manual extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(java.time.ZoneId zone) { return this; }
    @Override public Instant instant() { return now; }
  }

  @Test
  void aSubjectGetsItsLimitPerWindowThenARetryAfterAndOthersAreNotAffected() {
    Manual clock = new Manual();
    RateLimiter limiter = new RateLimiter(LIMIT, WINDOW, clock);
    for (int i = 0; i < LIMIT; i++) assertThat(limiter.acquire("alice", 1)).isInstanceOf(RateLimiter.Allowed.class);
    clock.now = clock.now.plusSeconds(4);
    assertThat(limiter.acquire("alice", 1)).isEqualTo(new RateLimiter.Refused(6));
    assertThat(limiter.acquire("bob", 1)).isInstanceOf(RateLimiter.Allowed.class);
    clock.now = clock.now.plus(WINDOW);
    assertThat(limiter.acquire("alice", 1)).isInstanceOf(RateLimiter.Allowed.class);
  }

  @Test
  void aBatchCountsEachOperationAndOneTooBigIsRefusedWithoutSpendingTheWindow() {
    RateLimiter limiter = new RateLimiter(LIMIT, WINDOW, new Manual());
    assertThat(limiter.acquire("alice", LIMIT + 1)).isInstanceOf(RateLimiter.Refused.class);
    assertThat(limiter.acquire("alice", LIMIT)).isInstanceOf(RateLimiter.Allowed.class);
    assertThat(limiter.acquire("alice", 1)).isInstanceOf(RateLimiter.Refused.class);
  }
}
