package audience.store;

import audience.store.QuarantineLayout.ShardPage;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The quarantine table's keys and the merge of its shards into pages, without DynamoDB. */
class QuarantineLayoutTest {
  private static final int KEYS = 1000;

  @Test
  void aFileAlwaysLandsInTheSameShardAndARunSpreadsOverAllOfThem() {
    assertThat(QuarantineLayout.partitionKey("run-1", "p/a.json"))
        .isEqualTo(QuarantineLayout.partitionKey("run-1", "p/a.json"))
        .isEqualTo("run-1#" + QuarantineLayout.shardOf("p/a.json"));
    // String.hashCode is specified, so this value holds across JVMs and releases.
    assertThat(QuarantineLayout.shardOf("p/a.json")).isEqualTo(Math.floorMod("p/a.json".hashCode(), 16));
    Set<String> used = new HashSet<>();
    IntStream.range(0, KEYS).forEach(i -> used.add(QuarantineLayout.partitionKey("run-1", "p/f-" + i + ".json")));
    assertThat(used).containsExactlyInAnyOrderElementsOf(QuarantineLayout.partitionKeys("run-1"));
    assertThat(QuarantineLayout.partitionKeys("run-1")).hasSize(QuarantineLayout.SHARDS).doesNotHaveDuplicates();
  }

  @Test
  void rowsExpireRetentionAfterTheyWereWritten() {
    assertThat(QuarantineLayout.expiresAt(Instant.parse("2026-01-01T00:00:00.900Z"), Duration.ofDays(1)))
        .isEqualTo(Instant.parse("2026-01-02T00:00:00Z").getEpochSecond());
  }

  @Test
  void keysAreOrderedByCodePointAsDynamoDbAndS3OrderThem() {
    String halfwidth = "p/\uFF61.json"; // U+FF61
    String emoji = "p/\uD83D\uDE00.json"; // U+1F600: UTF-16 puts it first, UTF-8 bytes after
    assertThat(halfwidth.compareTo(emoji)).isPositive();
    assertThat(QuarantineLayout.KEY_ORDER.compare(halfwidth, emoji)).isNegative();
    assertThat(QuarantineLayout.KEY_ORDER.compare("p/a", "p/a/")).isNegative();
    assertThat(QuarantineLayout.KEY_ORDER.compare("p/b", "p/a/")).isPositive();
    assertThat(QuarantineLayout.KEY_ORDER.compare("p/a", "p/a")).isZero();
  }

  @Test
  void mergedPagesReadEveryRowOnceInOrder() {
    List<List<String>> shards = List.of(List.of("a", "d", "g", "h"), List.of("b", "c"), List.of(), List.of("e", "f", "i"));
    int limit = 3;
    List<String> read = new ArrayList<>();
    String after = "";
    int pages = 0;
    do {
      String from = after;
      // what each shard's query gives: its first `limit` keys after `from`, and whether it ends there
      List<ShardPage<String>> pageOfShards = shards.stream().map(keys -> {
        List<String> tail = keys.stream().filter(k -> k.compareTo(from) > 0).toList();
        return new ShardPage<>(tail.subList(0, Math.min(limit, tail.size())), tail.size() <= limit);
      }).toList();
      QuarantineLayout.Merged<String> page = QuarantineLayout.merge(pageOfShards, limit, Function.identity());
      assertThat(page.rows()).hasSizeLessThanOrEqualTo(limit);
      read.addAll(page.rows());
      after = page.next();
      pages++;
    } while (after != null);
    assertThat(read).containsExactly("a", "b", "c", "d", "e", "f", "g", "h", "i");
    assertThat(pages).isEqualTo(3);
  }

  @Test
  void aPageSaysThereIsMoreWhileAShardMayHoldMore() {
    var full = QuarantineLayout.merge(List.of(new ShardPage<>(List.of("a", "b"), false),
        new ShardPage<>(List.of(), true)), 2, Function.identity());
    assertThat(full.rows()).containsExactly("a", "b");
    assertThat(full.next()).isEqualTo("b");
    var last = QuarantineLayout.merge(List.of(new ShardPage<>(List.of("a"), true),
        new ShardPage<>(List.of("b"), true)), 2, Function.identity());
    assertThat(last.next()).isNull();
    var empty = QuarantineLayout.merge(List.<ShardPage<String>>of(new ShardPage<>(List.of(), true)), 2,
        Function.identity());
    assertThat(empty.rows()).isEmpty();
    assertThat(empty.next()).isNull();
  }
}
