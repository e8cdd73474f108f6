package audience.segments;

import java.util.List;
import java.util.Objects;

/**
 * What was counted for one segment: its audience (opted-in members active within the window), their bedrooms
 * ({@code bedrooms.get(n)}: members wanting n bedrooms, n = 0..10), their banding prices in the band's buckets
 * ({@link PriceBands#bucketOf}), and their engagement. {@code id} is {@code key.id()}, computed once.
 */
public record SegmentAggregate(
    String id, SegmentKey key, long audience, List<Long> bedrooms, List<Long> priceBuckets, Engagement engagement) {
  public SegmentAggregate {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(engagement, "engagement");
    if (!key.id().equals(id)) throw new IllegalArgumentException("id must be the key's id " + key.id());
    bedrooms = List.copyOf(bedrooms);
    priceBuckets = List.copyOf(priceBuckets);
  }

  public SegmentAggregate(SegmentKey key, long audience, List<Long> bedrooms, List<Long> priceBuckets,
                          Engagement engagement) {
    this(key.id(), key, audience, bedrooms, priceBuckets, engagement);
  }
}
