package audience.ingestion;

import audience.store.QuarantineLayout;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The run entity's dispatch window, as plain data and pure decisions (no actor, no S3, no journal): which listed
 * files form the next chunk, how many chunks may be out at once, which settled chunks may be committed, and where
 * the listing resumes. A chunk moves pending → in flight (at a worker) → settled (waiting behind a slower one) →
 * committed. Every chunk not yet committed counts against {@code maxChunksInFlight}, so after a crash the redone
 * work (everything after the committed offset) is at most the window.
 *
 * <p>Built from the last commit (offset and next chunk number) and, once the listing was finished, its last key:
 * everything else is transient and rebuilt by listing again after that offset, up to that key. Nothing about a chunk
 * above the commit outlives the window, so chunks re-cut after a restart from a listing that changed meanwhile (files
 * added or deleted, another chunk size) can never be mistaken for the earlier ones.
 */
final class DispatchWindow {
  /** A chunk between its dispatch and its commit; {@code attempt} counts its dispatches. */
  record Chunk(long index, List<FileRef> files, int attempt) {
    String lastKey() {
      return files.get(files.size() - 1).key();
    }

    Chunk retried() {
      return new Chunk(index, files, attempt + 1);
    }
  }

  /** What a worker reported for a settled chunk: kept until the chunks before it settle too. */
  record Settled(Chunk chunk, int ingested, int quarantined, Instant settledAt, long newestLastActive) {}

  /**
   * A contiguous run of settled chunks that may now be committed: every chunk below {@code nextChunk}, with what
   * they add up to; {@code lastSettledAt}: when the latest of them was stored.
   */
  record Commit(String offset, long nextChunk, long files, long ingested, long quarantined, Instant lastSettledAt,
                long newestLastActive, int chunks) {}

  private final int chunkSize;
  private final int maxChunksInFlight;
  private final int pageSize;

  /** The listing's last key once it was finished before a restart (keys after it belong to no run); else null. */
  private final String lastKey;
  private String cursor;
  private long committedChunks;
  private long nextAssign;
  private long uncommittedFiles;
  private boolean listing;
  private boolean exhausted;
  private final ArrayDeque<FileRef> pending = new ArrayDeque<>();
  private final TreeMap<Long, Chunk> inFlight = new TreeMap<>();
  private final TreeMap<Long, Settled> settled = new TreeMap<>();

  /**
   * A window that resumes after {@code offset}, the last key of chunk {@code committedChunks - 1}, and lists up to
   * {@code lastKey} (null: to the end of the prefix).
   */
  DispatchWindow(int chunkSize, int maxChunksInFlight, int pageSize, String offset, long committedChunks,
                 String lastKey) {
    this.lastKey = lastKey;
    this.chunkSize = chunkSize;
    this.maxChunksInFlight = maxChunksInFlight;
    this.pageSize = pageSize;
    this.cursor = offset;
    this.committedChunks = committedChunks;
    this.nextAssign = committedChunks;
  }

  // ---- listing

  /** Whether to ask for the next page now: the listing goes on, none is outstanding, and pending runs low. */
  boolean wantsPage() {
    return !exhausted && !listing && pending.size() < pageSize;
  }

  /** The key to list after ({@code StartAfter}); empty for the start of the prefix. */
  String cursor() {
    return cursor;
  }

  void pageRequested() {
    listing = true;
  }

  /** Whether a page listed after {@code after} is the one this window asked for (not one asked before a restart). */
  boolean awaitsPageAfter(String after) {
    return listing && cursor.equals(after);
  }

  void pageAbandoned() {
    listing = false;
  }

  /** A page of the listing; with a known last key, what lies beyond it is dropped and the listing is over. */
  void pageListed(List<FileRef> files, boolean more) {
    listing = false;
    boolean beyond = false;
    for (FileRef f : files) {
      if (lastKey != null && compareKeys(f.key(), lastKey) > 0) {
        beyond = true;
        break;
      }
      pending.add(f);
    }
    if (!files.isEmpty()) cursor = files.get(files.size() - 1).key();
    exhausted = !more || beyond;
  }

  /** S3's listing order: UTF-8 bytes, which is code point order (not String's UTF-16 order). */
  static int compareKeys(String a, String b) {
    return QuarantineLayout.KEY_ORDER.compare(a, b);
  }

  /** The last key listed so far (the run's last key once the listing is over). */
  String listedUpTo() {
    return cursor;
  }

  /** The listing reached its end and every listed file went into a chunk. */
  boolean everythingAssigned() {
    return exhausted && pending.isEmpty();
  }

  // ---- dispatch

  /** The chunks to dispatch now: full chunks (or the last, partial one once the listing is over) while there is room. */
  List<Chunk> assign() {
    List<Chunk> out = new ArrayList<>();
    while (outstanding() < maxChunksInFlight && (pending.size() >= chunkSize || (exhausted && !pending.isEmpty()))) {
      List<FileRef> files = new ArrayList<>(Math.min(chunkSize, pending.size()));
      while (files.size() < chunkSize && !pending.isEmpty()) files.add(pending.poll());
      Chunk chunk = new Chunk(nextAssign++, List.copyOf(files), 1);
      uncommittedFiles += files.size();
      inFlight.put(chunk.index(), chunk);
      out.add(chunk);
    }
    return out;
  }

  /** The in-flight chunk {@code index} if {@code attempt} is its current one; empty for a stale answer. */
  Optional<Chunk> current(long index, int attempt) {
    Chunk chunk = inFlight.get(index);
    return chunk != null && chunk.attempt() == attempt ? Optional.of(chunk) : Optional.empty();
  }

  /** Dispatch the in-flight chunk {@code index} again, as its next attempt; empty when it is no longer in flight. */
  Optional<Chunk> retry(long index) {
    Chunk chunk = inFlight.get(index);
    if (chunk == null) return Optional.empty();
    Chunk next = chunk.retried();
    inFlight.put(index, next);
    return Optional.of(next);
  }

  /**
   * A worker settled the chunk; returns what may now be committed, if the settled prefix grew. Empty for an answer
   * about a chunk not in flight (a late answer from an earlier attempt).
   */
  Optional<Commit> settled(long index, int ingested, int quarantined, Instant settledAt) {
    return settled(index, ingested, quarantined, settledAt, 0);
  }

  /** As above, with the newest lastActive among the chunk's valid files (epoch ms, 0 when none). */
  Optional<Commit> settled(long index, int ingested, int quarantined, Instant settledAt, long newestLastActive) {
    Chunk chunk = inFlight.remove(index);
    if (chunk == null) return Optional.empty();
    settled.put(index, new Settled(chunk, ingested, quarantined, settledAt, newestLastActive));
    return commitable();
  }

  /** The chunks at workers now (to dispatch again at once when a stalled run is resumed). */
  List<Long> inFlightIndexes() {
    return List.copyOf(inFlight.keySet());
  }

  private Optional<Commit> commitable() {
    long next = committedChunks;
    long files = 0;
    long ingested = 0;
    long quarantined = 0;
    Instant last = null;
    long newest = 0;
    String offset = null;
    for (Settled s = settled.get(next); s != null; s = settled.get(++next)) {
      files += s.chunk().files().size();
      ingested += s.ingested();
      quarantined += s.quarantined();
      if (last == null || (s.settledAt() != null && s.settledAt().isAfter(last))) last = s.settledAt();
      newest = Math.max(newest, s.newestLastActive());
      offset = s.chunk().lastKey();
    }
    return next == committedChunks ? Optional.empty()
        : Optional.of(new Commit(offset, next, files, ingested, quarantined, last, newest,
            (int) (next - committedChunks)));
  }

  /** The commit was persisted: its chunks leave the window. */
  void committed(Commit commit) {
    for (long i = committedChunks; i < commit.nextChunk(); i++) settled.remove(i);
    committedChunks = commit.nextChunk();
    uncommittedFiles -= commit.files();
  }

  /** Every listed file is in a committed chunk and the listing is over: the run is whole. */
  boolean allCommitted() {
    return everythingAssigned() && outstanding() == 0;
  }

  /** A cancelled run dispatches nothing more; what is out still settles. */
  void cancel() {
    pending.clear();
    exhausted = true;
  }

  // ---- figures

  /** Chunks dispatched and not yet committed (in flight, or settled behind a slower one). */
  int outstanding() {
    return inFlight.size() + settled.size();
  }

  /** Chunks at a worker: what an operator calls in flight. */
  int inFlight() {
    return inFlight.size();
  }

  /** Chunk numbers handed out so far (the next chunk's number). */
  long assignedChunks() {
    return nextAssign;
  }

  /** Files listed beyond the committed ones: in uncommitted chunks or pending. */
  long uncommittedListedFiles() {
    return uncommittedFiles + pending.size();
  }

  /** Files in chunks dispatched but not committed. */
  long uncommittedFiles() {
    return uncommittedFiles;
  }
}
