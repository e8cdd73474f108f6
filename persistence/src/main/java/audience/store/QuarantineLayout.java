package audience.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * How the quarantine table keeps a run's rows, pure: the partition key is {@code <runId>#<shard>}, the shard a
 * stable hash of the file key among {@link #SHARDS}, so one run's bad files spread over that many partitions
 * instead of one; the sort key is the file key, so the same file quarantined twice in a run is one row. One run's
 * rows are read in file key order, a page at a time, by querying every shard after the same key and merging.
 * Changing {@link #SHARDS} moves rows written before: it is part of the table's layout, like its key schema.
 */
public final class QuarantineLayout {
  /** Partitions one run's rows are spread over. */
  public static final int SHARDS = 16;
  public static final String PARTITION_KEY = "pk";
  public static final String SORT_KEY = "fileKey";
  /** The table's TTL attribute: epoch seconds after which DynamoDB deletes the row. */
  public static final String EXPIRES_AT = "expiresAt";
  private static final char SEPARATOR = '#';

  /**
   * Unicode code point order, which is UTF-8 byte order: how DynamoDB sorts string sort keys and S3 lists keys
   * ({@link String#compareTo} compares UTF-16 units and differs above U+FFFF).
   */
  public static final Comparator<String> KEY_ORDER = (a, b) -> {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) return Integer.compare(ca, cb);
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  };

  private QuarantineLayout() {}

  /** The shard of a file key: stable across processes and versions ({@link String#hashCode} is specified). */
  static int shardOf(String fileKey) {
    return Math.floorMod(fileKey.hashCode(), SHARDS);
  }

  static String partitionKey(String runId, String fileKey) {
    return partitionKey(runId, shardOf(fileKey));
  }

  private static String partitionKey(String runId, int shard) {
    return runId + SEPARATOR + shard;
  }

  /** Every partition key of a run, one per shard. */
  static List<String> partitionKeys(String runId) {
    return IntStream.range(0, SHARDS).mapToObj(shard -> partitionKey(runId, shard)).toList();
  }

  static long expiresAt(Instant at, Duration retention) {
    return at.plus(retention).getEpochSecond();
  }

  /** What one shard gave for a page: its first rows after the page's start, and whether it has none beyond. */
  record ShardPage<T>(List<T> rows, boolean exhausted) {}

  /** A merged page and where the next starts ({@code next}: the last key of this page; null when there is none). */
  record Merged<T>(List<T> rows, String next) {}

  /**
   * Merges the shards' pages into the run's next {@code limit} rows in key order. Correct when every shard that is
   * not exhausted gave at least {@code limit} rows: then no row it holds beyond them can be among the first
   * {@code limit}.
   */
  static <T> Merged<T> merge(List<ShardPage<T>> shards, int limit, Function<T, String> key) {
    List<T> all = new ArrayList<>();
    boolean more = false;
    for (ShardPage<T> s : shards) {
      all.addAll(s.rows());
      more |= !s.exhausted();
    }
    all.sort(Comparator.comparing(key, KEY_ORDER));
    more |= all.size() > limit;
    List<T> page = List.copyOf(all.subList(0, Math.min(limit, all.size())));
    return new Merged<>(page, more && !page.isEmpty() ? key.apply(page.get(page.size() - 1)) : null);
  }
}
