package audience.ingestion;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The run entity's dispatch window, as plain data and pure decisions (no actor, no S3, no journal): which listed
 * files form the next chunk, how many chunks may be out at once, which settled chunks may be committed, and where
 * the listing resumes. A chunk moves pending → in flight (at a worker) → counting (the tracker records it) →
 * counted (waiting behind a slower one) → committed. Every chunk not yet committed counts against
 * {@code maxChunksInFlight}, so after a crash the redone work (everything after the committed offset) is at most
 * the window.
 *
 * <p>Built from the last commit (offset and next chunk number); everything else is transient and rebuilt by
 * listing again after that offset.
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

  /** What a worker reported for a settled chunk: kept until the tracker counts it, to be sent again if lost. */
  record Settled(Chunk chunk, int ingested, int quarantined, java.time.Instant settledAt) {}

  /** A contiguous run of counted chunks that may now be committed: every chunk below {@code nextChunk}. */
  record Commit(String offset, long nextChunk, long files, int chunks) {}

  private final int chunkSize;
  private final int maxChunksInFlight;
  private final int pageSize;

  private String cursor;
  private long committedChunks;
  private long nextAssign;
  private long uncommittedFiles;
  private boolean listing;
  private boolean exhausted;
  private final ArrayDeque<FileRef> pending = new ArrayDeque<>();
  private final TreeMap<Long, Chunk> inFlight = new TreeMap<>();
  private final TreeMap<Long, Settled> counting = new TreeMap<>();
  private final TreeMap<Long, Chunk> counted = new TreeMap<>();

  /** A window that resumes after {@code offset}, the last key of chunk {@code committedChunks - 1}. */
  DispatchWindow(int chunkSize, int maxChunksInFlight, int pageSize, String offset, long committedChunks) {
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

  void pageAbandoned() {
    listing = false;
  }

  void pageListed(List<FileRef> files, boolean more) {
    listing = false;
    pending.addAll(files);
    if (!files.isEmpty()) cursor = files.get(files.size() - 1).key();
    exhausted = !more;
  }

  /** The listing reached its end and every listed file went into a chunk. */
  boolean everythingAssigned() {
    return exhausted && pending.isEmpty();
  }

  // ---- dispatch

  /**
   * The chunks to dispatch now: full chunks (or the last, partial one once the listing is over) while the window
   * has room. With the listing already closed at {@code totalChunks} (known after a recovery), keys that appeared
   * in the bucket since belong to another run and are dropped.
   */
  List<Chunk> assign(Optional<Long> closedAtChunks) {
    List<Chunk> out = new ArrayList<>();
    while (outstanding() < maxChunksInFlight && (pending.size() >= chunkSize || (exhausted && !pending.isEmpty()))) {
      if (closedAtChunks.isPresent() && nextAssign >= closedAtChunks.get()) {
        pending.clear();
        break;
      }
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

  /** A worker settled the chunk: it goes to the tracker. Empty for an answer about a chunk not in flight. */
  Optional<Settled> settled(long index, int ingested, int quarantined, java.time.Instant settledAt) {
    Chunk chunk = inFlight.remove(index);
    if (chunk == null) return Optional.empty();
    Settled settled = new Settled(chunk, ingested, quarantined, settledAt);
    counting.put(index, settled);
    return Optional.of(settled);
  }

  /** Settled chunks the tracker has not acknowledged yet: sent again until it does. */
  List<Settled> awaitingCount() {
    return List.copyOf(counting.values());
  }

  /** The chunks at workers now (to dispatch again at once when a stalled run is resumed). */
  List<Long> inFlightIndexes() {
    return List.copyOf(inFlight.keySet());
  }

  /** The tracker counted the chunk; returns what may now be committed, if the committed prefix grew. */
  Optional<Commit> counted(long index) {
    Settled settled = counting.remove(index);
    if (settled != null) counted.put(index, settled.chunk());
    long next = committedChunks;
    long files = 0;
    String offset = null;
    while (counted.containsKey(next)) {
      Chunk c = counted.get(next);
      files += c.files().size();
      offset = c.lastKey();
      next++;
    }
    return next == committedChunks ? Optional.empty()
        : Optional.of(new Commit(offset, next, files, (int) (next - committedChunks)));
  }

  /** The commit was persisted: its chunks leave the window. */
  void committed(Commit commit) {
    for (long i = committedChunks; i < commit.nextChunk(); i++) counted.remove(i);
    committedChunks = commit.nextChunk();
    uncommittedFiles -= commit.files();
  }

  /** A cancelled run dispatches nothing more; what is out still settles. */
  void cancel() {
    pending.clear();
    exhausted = true;
  }

  // ---- figures

  /** Chunks dispatched and not yet committed (in flight, being counted, or counted behind a slower one). */
  int outstanding() {
    return inFlight.size() + counting.size() + counted.size();
  }

  /** Chunks at a worker or at the tracker: what an operator calls in flight. */
  int inFlight() {
    return inFlight.size() + counting.size();
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
