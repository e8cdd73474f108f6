package audience.segments;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * A segment's engagement: the activity entries of its audience whose {@code at} lies within the activity window, by
 * type (searches are not counted).
 */
@JsonPropertyOrder({"enquiries", "saves", "views"})
public record Engagement(long enquiries, long saves, long views) {
  public static final Engagement NONE = new Engagement(0, 0, 0);

  public Engagement plus(Engagement other) {
    return new Engagement(enquiries + other.enquiries, saves + other.saves, views + other.views);
  }
}
