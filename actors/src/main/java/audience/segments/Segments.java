package audience.segments;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Which counted segments are interesting. */
public final class Segments {
  private Segments() {}

  /** The segments whose audience is at least the rules' minimum, by id (a stable order for any input order). */
  public static List<SegmentAggregate> interesting(Collection<SegmentAggregate> aggregates, SegmentRules rules) {
    return aggregates.stream().filter(a -> a.audience() >= rules.minAudience())
        .sorted(Comparator.comparing(SegmentAggregate::id)).toList();
  }
}
