package audience.ingestion;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.time.Instant;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The dispatch window's decisions, without an actor: what goes next, what may be committed, where a restart resumes. */
class DispatchWindowTest {
  private static final int CHUNK = 3;
  private static final int WINDOW = 2;
  private static final int PAGE = 10;

  private static List<FileRef> files(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> new FileRef(String.format("k%03d", i), 1)).toList();
  }

  private static DispatchWindow fresh() {
    return new DispatchWindow(CHUNK, WINDOW, PAGE, "", 0, null);
  }

  @Test
  void fullChunksGoOutOnlyWhileTheWindowHasRoom() {
    DispatchWindow w = fresh();
    assertThat(w.wantsPage()).isTrue();
    assertThat(w.awaitsPageAfter("")).as("nothing asked yet").isFalse();
    w.pageRequested();
    assertThat(w.wantsPage()).as("one page at a time").isFalse();
    assertThat(w.awaitsPageAfter("")).isTrue();
    assertThat(w.awaitsPageAfter("k004")).as("a page asked for before a restart").isFalse();
    w.pageListed(files(0, 10), true);
    List<DispatchWindow.Chunk> out = w.assign();
    assertThat(out).extracting(DispatchWindow.Chunk::index).containsExactly(0L, 1L);
    assertThat(out.get(0).files()).extracting(FileRef::key).containsExactly("k000", "k001", "k002");
    assertThat(w.assign()).as("window full").isEmpty();
    assertThat(w.cursor()).isEqualTo("k009");
    assertThat(w.uncommittedListedFiles()).isEqualTo(10);
  }

  @Test
  void aPartialChunkWaitsForTheEndOfTheListing() {
    DispatchWindow w = fresh();
    w.pageListed(files(0, 2), true);
    assertThat(w.assign()).isEmpty();
    w.pageListed(List.of(), false);
    assertThat(w.assign()).singleElement()
        .satisfies(c -> assertThat(c.files()).hasSize(2));
    assertThat(w.everythingAssigned()).isTrue();
  }

  @Test
  void onlyAContiguousPrefixOfSettledChunksIsCommittedWithWhatItAddsUpTo() {
    DispatchWindow w = new DispatchWindow(CHUNK, 3, PAGE, "", 0, null);
    w.pageListed(files(0, 9), false);
    w.assign();
    Instant t1 = Instant.parse("2026-01-01T00:00:01Z");
    Instant t2 = t1.plusSeconds(1);
    assertThat(w.settled(1, 2, 1, t2)).as("chunk 0 is still out").isEmpty();
    assertThat(w.outstanding()).as("a settled chunk still holds its place in the window").isEqualTo(3);
    DispatchWindow.Commit commit = w.settled(0, 3, 0, t1).orElseThrow();
    assertThat(commit).isEqualTo(new DispatchWindow.Commit("k005", 2, 6, 5, 1, t2, 0, 2));
    w.committed(commit);
    assertThat(w.outstanding()).isEqualTo(1);
    assertThat(w.uncommittedFiles()).isEqualTo(3);
    assertThat(w.allCommitted()).isFalse();
    w.committed(w.settled(2, 3, 0, t1).orElseThrow());
    assertThat(w.allCommitted()).as("listing over, every chunk committed").isTrue();
  }

  @Test
  void staleAnswersAreRecognised() {
    DispatchWindow w = fresh();
    w.pageListed(files(0, 6), false);
    w.assign();
    assertThat(w.current(0, 1)).isPresent();
    assertThat(w.retry(0)).get().extracting(DispatchWindow.Chunk::attempt).isEqualTo(2);
    assertThat(w.current(0, 1)).as("attempt 1 was superseded").isEmpty();
    assertThat(w.settled(0, 3, 0, java.time.Instant.EPOCH)).as("chunk 0 commits").isPresent();
    assertThat(w.settled(0, 3, 0, java.time.Instant.EPOCH)).as("already settled").isEmpty();
    assertThat(w.retry(0)).as("no longer in flight").isEmpty();
    assertThat(w.settled(7, 3, 0, java.time.Instant.EPOCH)).as("never dispatched").isEmpty();
  }

  @Test
  void aRestartedWindowResumesAfterTheCommittedOffsetAndNumbersOn() {
    DispatchWindow w = new DispatchWindow(CHUNK, WINDOW, PAGE, "k005", 2, null);
    assertThat(w.cursor()).isEqualTo("k005");
    w.pageListed(files(6, 9), false);
    assertThat(w.assign()).singleElement().satisfies(c -> {
      assertThat(c.index()).isEqualTo(2);
      assertThat(c.files()).extracting(FileRef::key).containsExactly("k006", "k007", "k008");
    });
  }

  @Test
  void keysListedAfterTheListingsLastKeyBelongToAnotherRun() {
    DispatchWindow w = new DispatchWindow(CHUNK, WINDOW, PAGE, "k002", 1, "k005");
    w.pageListed(files(3, 9), true);
    assertThat(w.everythingAssigned()).as("a key beyond the last one ends the listing").isFalse();
    assertThat(w.assign()).singleElement().satisfies(c -> {
      assertThat(c.index()).isEqualTo(1);
      assertThat(c.files()).extracting(FileRef::key).containsExactly("k003", "k004", "k005");
    });
    assertThat(w.everythingAssigned()).isTrue();
    assertThat(w.wantsPage()).isFalse();
  }

  @Test
  void aListingThatChangedBeforeARestartIsCutAfreshFromTheCommittedOffset() {
    // before the crash: chunks of 3 over k000..k008, chunk 0 committed; meanwhile k004 was deleted and k0041 added
    DispatchWindow w = new DispatchWindow(CHUNK, WINDOW, PAGE, "k002", 1, "k008");
    List<FileRef> changed = List.of(new FileRef("k003", 1), new FileRef("k0041", 1), new FileRef("k005", 1),
        new FileRef("k006", 1), new FileRef("k007", 1), new FileRef("k008", 1), new FileRef("k009", 1));
    w.pageListed(changed, false);
    List<DispatchWindow.Chunk> out = w.assign();
    assertThat(out).extracting(DispatchWindow.Chunk::index).containsExactly(1L, 2L);
    assertThat(out.get(0).files()).extracting(FileRef::key).containsExactly("k003", "k0041", "k005");
    assertThat(out.get(1).files()).extracting(FileRef::key).containsExactly("k006", "k007", "k008");
    Instant t = Instant.EPOCH;
    assertThat(w.settled(2, 3, 0, t)).as("chunk 1 is still out").isEmpty();
    DispatchWindow.Commit both = w.settled(1, 3, 0, t).orElseThrow();
    assertThat(both.nextChunk()).isEqualTo(3);
    assertThat(both.files()).isEqualTo(6);
    assertThat(both.offset()).isEqualTo("k008");
    w.committed(both);
    assertThat(w.allCommitted()).isTrue();
  }

  @Test
  void keysCompareAsS3ListsThem() {
    assertThat(DispatchWindow.compareKeys("a", "b")).isNegative();
    assertThat(DispatchWindow.compareKeys("ab", "a")).isPositive();
    assertThat(DispatchWindow.compareKeys("k", "k")).isZero();
    // U+FF5E (UTF-8 EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16
    assertThat("\uFF5E".compareTo("\uD83D\uDE00")).isPositive();
    assertThat(DispatchWindow.compareKeys("\uFF5E", "\uD83D\uDE00")).isNegative();
  }

  @Test
  void aCancelledWindowDispatchesNothingMore() {
    DispatchWindow w = fresh();
    w.pageListed(files(0, 9), true);
    w.cancel();
    assertThat(w.assign()).isEmpty();
    assertThat(w.wantsPage()).isFalse();
    assertThat(w.everythingAssigned()).isTrue();
  }
}
