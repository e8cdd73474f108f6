package audience.contract;

import java.time.Instant;
import java.util.Objects;

/** One entry of a member's recent activity. */
public record Activity(ActivityType type, String listingId, Instant at) {
  public Activity {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(listingId, "listingId");
    Objects.requireNonNull(at, "at");
  }
}
