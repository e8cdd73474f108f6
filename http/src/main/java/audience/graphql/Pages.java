package audience.graphql;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * Relay-style cursor pagination over a list already in its order: a cursor is the opaque (base64url) key of an
 * item, {@code after} starts the page behind it, {@code first} says how many (at most the configured page size).
 */
final class Pages {
  private static final String PREFIX = "k:";

  private Pages() {}

  record PageInfo(boolean hasNextPage, boolean hasPreviousPage, String startCursor, String endCursor) {}

  record Edge<T>(String cursor, T node) {}

  /** {@code generationId}: only segment connections have one. */
  record Connection<T>(List<Edge<T>> edges, PageInfo pageInfo, int totalCount, String generationId) {}

  static String cursor(String key) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((PREFIX + key).getBytes(StandardCharsets.UTF_8));
  }

  static String key(String cursor) {
    try {
      String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (!s.startsWith(PREFIX)) throw new IllegalArgumentException("no prefix");
      return s.substring(PREFIX.length());
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCode.INVALID_CURSOR, "after is not a cursor this API gave");
    }
  }

  /** How many items a page asks: {@code first}, else the largest page; refused beyond it or below 0. */
  static int size(Integer first, int maxPage) {
    if (first == null) return maxPage;
    if (first < 0 || first > maxPage) {
      throw new ApiException(ErrorCode.INVALID_ARGUMENT, "first must be 0.." + maxPage + ", got " + first);
    }
    return first;
  }

  static <T, N> Connection<N> slice(List<T> items, Function<T, String> key, Function<T, N> node, Integer first,
                                    String after, int maxPage, String generationId) {
    int size = size(first, maxPage);
    int from = 0;
    if (after != null) {
      String k = key(after);
      int at = -1;
      for (int i = 0; i < items.size() && at < 0; i++) if (key.apply(items.get(i)).equals(k)) at = i;
      if (at < 0) throw new ApiException(ErrorCode.INVALID_CURSOR, "after names an item that is no longer listed");
      from = at + 1;
    }
    int to = Math.min(items.size(), from + size);
    List<Edge<N>> edges = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) edges.add(new Edge<>(cursor(key.apply(items.get(i))), node.apply(items.get(i))));
    PageInfo info = new PageInfo(to < items.size(), from > 0, edges.isEmpty() ? null : edges.get(0).cursor(),
        edges.isEmpty() ? null : edges.get(edges.size() - 1).cursor());
    return new Connection<>(edges, info, items.size(), generationId);
  }
}
