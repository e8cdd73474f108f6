package audience.segments;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The instants a member must have been active in to count: {@code [dataTime - window, dataTime]}, <b>both bounds
 * included</b>, in epoch milliseconds (as the member store keeps {@code lastActive}). A lastActive after the data
 * time is outside too: the run's data time is the newest instant its audiences describe.
 */
public record ActivityWindow(Instant from, Instant to) {
  public ActivityWindow {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (from.isAfter(to)) throw new IllegalArgumentException("a window starts before it ends: " + from + " > " + to);
  }

  /** The {@code window} that ends at {@code dataTime}. */
  public static ActivityWindow ending(Instant dataTime, Duration window) {
    return new ActivityWindow(dataTime.minus(window), dataTime);
  }

  public boolean contains(long epochMillis) {
    return epochMillis >= from.toEpochMilli() && epochMillis <= to.toEpochMilli();
  }
}
