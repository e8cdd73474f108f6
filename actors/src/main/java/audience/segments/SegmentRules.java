package audience.segments;

import audience.config.Settings;

import java.time.Duration;
import java.util.Objects;

/**
 * What makes a segment and when it is interesting: at least {@code minAudience} opted-in members active within
 * {@code activityWindow} before the run's data time (see {@link ActivityWindow}); members banded by {@code bands}.
 */
public record SegmentRules(int minAudience, Duration activityWindow, PriceBands bands) {
  public SegmentRules {
    Objects.requireNonNull(activityWindow, "activityWindow");
    Objects.requireNonNull(bands, "bands");
    if (minAudience < 1) throw new IllegalArgumentException("minAudience must be at least 1, got " + minAudience);
    if (activityWindow.isNegative() || activityWindow.isZero()) {
      throw new IllegalArgumentException("activityWindow must be positive, got " + activityWindow);
    }
  }

  /** The rules of {@code audience.segments}. */
  public static SegmentRules from(Settings.SegmentSettings settings) {
    return new SegmentRules(settings.minAudience(), settings.activityWindow(), PriceBands.from(settings));
  }

  /** Where a member row goes: its segment, or why it counts nowhere. */
  public Eligibility classify(MemberRow row, ActivityWindow window) {
    if (!row.optIn()) return Eligibility.NoConsent.INSTANCE;
    if (!window.contains(row.lastActive())) return Eligibility.Inactive.INSTANCE;
    long price = PriceBands.bandingPrice(row.priceMin(), row.priceMax());
    return new Eligibility.Counted(new SegmentKey(row.state(), row.suburb(), row.intent(), row.propertyType(),
        bands.bandOf(row.intent(), price)), price);
  }

  /** What {@link #classify} makes of a member row. */
  public sealed interface Eligibility {
    /** Opted in and active within the window: one of {@code key}'s audience, banded by {@code bandingPrice}. */
    record Counted(SegmentKey key, long bandingPrice) implements Eligibility {}

    /** Not opted in: counts nowhere, whatever else. */
    enum NoConsent implements Eligibility { INSTANCE }

    /** Opted in, but last active outside the window. */
    enum Inactive implements Eligibility { INSTANCE }
  }
}
