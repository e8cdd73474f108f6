package audience.ingestion;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
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
    return new DispatchWindow(CHUNK, WINDOW, PAGE, "", 0);
  }

  @Test
  void fullChunksGoOutOnlyWhileTheWindowHasRoom() {
    DispatchWindow w = fresh();
    assertThat(w.wantsPage()).isTrue();
    w.pageRequested();
    assertThat(w.wantsPage()).as("one page at a time").isFalse();
    w.pageListed(files(0, 10), true);
    List<DispatchWindow.Chunk> out = w.assign(Optional.empty());
    assertThat(out).extracting(DispatchWindow.Chunk::index).containsExactly(0L, 1L);
    assertThat(out.get(0).files()).extracting(FileRef::key).containsExactly("k000", "k001", "k002");
    assertThat(w.assign(Optional.empty())).as("window full").isEmpty();
    assertThat(w.cursor()).isEqualTo("k009");
    assertThat(w.uncommittedListedFiles()).isEqualTo(10);
  }

  @Test
  void aPartialChunkWaitsForTheEndOfTheListing() {
    DispatchWindow w = fresh();
    w.pageListed(files(0, 2), true);
    assertThat(w.assign(Optional.empty())).isEmpty();
    w.pageListed(List.of(), false);
    assertThat(w.assign(Optional.empty())).singleElement()
        .satisfies(c -> assertThat(c.files()).hasSize(2));
    assertThat(w.everythingAssigned()).isTrue();
  }

  @Test
  void onlyAContiguousPrefixOfCountedChunksIsCommitted() {
    DispatchWindow w = new DispatchWindow(CHUNK, 3, PAGE, "", 0);
    w.pageListed(files(0, 9), false);
    w.assign(Optional.empty());
    w.settled(1, 3, 0, java.time.Instant.EPOCH);
    assertThat(w.counted(1)).as("chunk 0 is still out").isEmpty();
    assertThat(w.outstanding()).as("a counted chunk still holds its place in the window").isEqualTo(3);
    w.settled(0, 3, 0, java.time.Instant.EPOCH);
    DispatchWindow.Commit commit = w.counted(0).orElseThrow();
    assertThat(commit).isEqualTo(new DispatchWindow.Commit("k005", 2, 6, 2));
    w.committed(commit);
    assertThat(w.outstanding()).isEqualTo(1);
    assertThat(w.uncommittedFiles()).isEqualTo(3);
  }

  @Test
  void staleAnswersAreRecognised() {
    DispatchWindow w = fresh();
    w.pageListed(files(0, 6), false);
    w.assign(Optional.empty());
    assertThat(w.current(0, 1)).isPresent();
    assertThat(w.retry(0)).get().extracting(DispatchWindow.Chunk::attempt).isEqualTo(2);
    assertThat(w.current(0, 1)).as("attempt 1 was superseded").isEmpty();
    assertThat(w.settled(0, 3, 0, java.time.Instant.EPOCH)).isPresent();
    assertThat(w.settled(0, 3, 0, java.time.Instant.EPOCH)).as("already settled").isEmpty();
    assertThat(w.retry(0)).as("no longer in flight").isEmpty();
    assertThat(w.counted(7)).as("never dispatched").isEmpty();
  }

  @Test
  void aRestartedWindowResumesAfterTheCommittedOffsetAndNumbersOn() {
    DispatchWindow w = new DispatchWindow(CHUNK, WINDOW, PAGE, "k005", 2);
    assertThat(w.cursor()).isEqualTo("k005");
    w.pageListed(files(6, 9), false);
    assertThat(w.assign(Optional.empty())).singleElement().satisfies(c -> {
      assertThat(c.index()).isEqualTo(2);
      assertThat(c.files()).extracting(FileRef::key).containsExactly("k006", "k007", "k008");
    });
  }

  @Test
  void keysListedAfterTheListingWasClosedBelongToAnotherRun() {
    DispatchWindow w = new DispatchWindow(CHUNK, WINDOW, PAGE, "k002", 1);
    w.pageListed(files(3, 9), false);
    assertThat(w.assign(Optional.of(2L))).extracting(DispatchWindow.Chunk::index).containsExactly(1L);
    assertThat(w.everythingAssigned()).isTrue();
  }

  @Test
  void aCancelledWindowDispatchesNothingMore() {
    DispatchWindow w = fresh();
    w.pageListed(files(0, 9), true);
    w.cancel();
    assertThat(w.assign(Optional.empty())).isEmpty();
    assertThat(w.wantsPage()).isFalse();
    assertThat(w.everythingAssigned()).isTrue();
  }
}
