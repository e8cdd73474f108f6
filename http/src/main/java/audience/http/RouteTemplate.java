package audience.http;

import java.util.Set;

/**
 * A request path reduced to the template of its route, for metric tags: the words the routes are made of are kept,
 * every other segment (a run id, a booking id, a member id, a key, anything a client typed) becomes {@value #ID}, and
 * a path deeper than {@value #MAX_SEGMENTS} segments is cut with {@value #MORE}. So the tag has a bounded set of
 * values however many ids and odd paths are requested, and holds no id or personal data.
 */
public final class RouteTemplate {
  static final String ID = "{id}";
  static final String MORE = "...";
  static final int MAX_SEGMENTS = 6;
  /** The literal path segments of the service's routes (OpsRoutes, MembersRoutes, SegmentsRoutes, ...). */
  static final Set<String> WORDS = Set.of("ops", "health", "jvm", "ingestions", "pause", "resume", "cancel",
      "redrive", "quarantine", "summary", "members", "segments", "generations", "regenerate", "bookings",
      "run-creator", "graphql");

  private RouteTemplate() {}

  /** The template of {@code path}; {@code extraWords}: more literal segments (the metrics path). */
  public static String of(String path, Set<String> extraWords) {
    StringBuilder out = new StringBuilder();
    int segments = 0;
    for (String segment : path.split("/")) {
      if (segment.isEmpty()) continue;
      if (segments == MAX_SEGMENTS) {
        out.append('/').append(MORE);
        break;
      }
      out.append('/').append(WORDS.contains(segment) || extraWords.contains(segment) ? segment : ID);
      segments++;
    }
    return out.length() == 0 ? "/" : out.toString();
  }
}
