package audience.ingestion;

import audience.config.Settings.IngestionSettings;
import audience.contract.ContractParser;
import audience.contract.ParseResult;
import audience.contract.RejectionKind;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.store.QuarantineStore.Quarantined;
import audience.store.Retrying;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.InvalidObjectStateException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Settles one chunk: GET, decompress, parse and validate each file ({@code file-parallelism} at a time), store the
 * good ones in the member store ({@code write-parallelism} batches of up to 25 in flight), and the bad ones in the
 * quarantine with their reason. Redoing a chunk is harmless: every write is keyed by its file.
 *
 * <p>Each file's fate is its own (docs/architecture.md, "No file stalls a run"): a failure that retrying cannot fix
 * quarantines that file alone, with its kind: the contract's rejections, {@link #MISSING_OBJECT},
 * {@link #UNREADABLE} (S3 refuses the GET: access denied, archived to a cold storage class), {@link #UNSTORABLE}
 * (DynamoDB refuses the item), {@link #UNPROCESSABLE} (the file breaks a step of ours). Transient errors (throttling,
 * 5xx, timeouts) are retried with backoff within {@code retry.max-attempts}; a file still failing after that fails
 * the chunk, which the run dispatches again. From attempt {@code isolate-after-attempts} of a chunk on, files that
 * still fail while others of the chunk settle are quarantined as theirs alone; when every file fails, the cause is
 * nobody's file (a store is down) and the chunk fails, which the run shows as stalled.
 */
public final class ChunkProcessor {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ChunkProcessor.class);

  /** A listed object that is gone by the time it is read. */
  public static final String MISSING_OBJECT = "MISSING_OBJECT";
  /** S3 refuses to give the object, however often asked (access denied, archived). */
  public static final String UNREADABLE = "UNREADABLE";
  /** DynamoDB refuses to store the member the file holds. */
  public static final String UNSTORABLE = "UNSTORABLE";
  /** The file broke one of our own steps (an exception tied to this file). */
  public static final String UNPROCESSABLE = "UNPROCESSABLE";
  private static final int HTTP_FORBIDDEN = 403;

  private final S3AsyncClient s3;
  private final ContractParser parser;
  private final MemberStore members;
  private final QuarantineStore quarantine;
  private final IngestionSettings settings;
  private final Materializer materializer;
  private final Clock clock;

  public ChunkProcessor(S3AsyncClient s3, ContractParser parser, MemberStore members, QuarantineStore quarantine,
                        IngestionSettings settings, Materializer materializer, Clock clock) {
    this.s3 = s3;
    this.parser = parser;
    this.members = members;
    this.quarantine = quarantine;
    this.settings = settings;
    this.materializer = materializer;
    this.clock = clock;
  }

  /** How a chunk was settled. */
  /**
   * What a settled chunk gives: files stored, files quarantined, and the newest {@code lastActive} among its valid
   * files (epoch milliseconds; {@link #NO_MEMBER} when it has none): the run's data time is the newest of these.
   */
  public record Outcome(int ingested, int quarantined, long newestLastActive) {
    public static final long NO_MEMBER = Long.MIN_VALUE;

    public Outcome(int ingested, int quarantined) {
      this(ingested, quarantined, NO_MEMBER);
    }
  }

  /** What became of one file: stored, refused with a reason, or failed with an error worth another try. */
  private sealed interface FileOutcome {
    record Good(MemberStore.Snapshot snapshot) implements FileOutcome {}

    record Bad(Quarantined entry) implements FileOutcome {}

    /** {@code read}: the GET failed (else the write did). */
    record Failed(String key, Throwable error, boolean read) implements FileOutcome {}
  }

  public CompletionStage<Outcome> process(FileWorker.ProcessChunk chunk) {
    String runId = chunk.runId();
    String bucket = chunk.bucket();
    return Source.from(chunk.files())
        .mapAsyncUnordered(settings.fileParallelism(), f -> read(runId, bucket, f))
        .runWith(Sink.seq(), materializer)
        .thenCompose(read -> store(chunk, read));
  }

  /** Stores the good files in batches, then settles the chunk from every file's outcome. */
  private CompletionStage<Outcome> store(FileWorker.ProcessChunk chunk, List<FileOutcome> read) {
    List<FileOutcome> outcomes = new ArrayList<>();
    List<MemberStore.Snapshot> good = new ArrayList<>();
    for (FileOutcome o : read) {
      if (o instanceof FileOutcome.Good g) good.add(g.snapshot());
      else outcomes.add(o);
    }
    List<List<MemberStore.Snapshot>> batches = new ArrayList<>();
    for (int i = 0; i < good.size(); i += settings.writeBatchSize()) {
      batches.add(good.subList(i, Math.min(good.size(), i + settings.writeBatchSize())));
    }
    return Source.from(batches)
        .mapAsyncUnordered(settings.writeParallelism(), batch -> written(chunk, batch))
        .runWith(Sink.fold(outcomes, (all, some) -> {
          all.addAll(some);
          return all;
        }), materializer)
        .thenCompose(all -> settle(chunk, all));
  }

  private CompletionStage<List<FileOutcome>> written(FileWorker.ProcessChunk chunk, List<MemberStore.Snapshot> batch) {
    CompletableFuture<List<MemberStore.Written>> write;
    try {
      write = members.write(batch);
    } catch (RuntimeException e) { // never let one batch's surprise escape as the chunk's stream failure
      write = CompletableFuture.failedFuture(e);
    }
    return write.handle((written, error) -> {
      List<FileOutcome> out = new ArrayList<>(batch.size());
      if (error != null) { // the member-files write failed: nobody's file in particular
        for (MemberStore.Snapshot s : batch) out.add(new FileOutcome.Failed(s.sourceKey(), Retrying.unwrap(error), false));
        return out;
      }
      for (MemberStore.Written w : written) out.add(outcome(chunk, w));
      return out;
    });
  }

  private FileOutcome outcome(FileWorker.ProcessChunk chunk, MemberStore.Written w) {
    if (w instanceof MemberStore.Written.Refused r) {
      return bad(chunk.runId(), chunk.bucket(), r.snapshot().sourceKey(), UNSTORABLE, UNSTORABLE + ": " + r.reason());
    }
    if (w instanceof MemberStore.Written.Failed f) return new FileOutcome.Failed(f.snapshot().sourceKey(), f.error(), false);
    if (w instanceof MemberStore.Written.Current || w instanceof MemberStore.Written.Superseded) {
      return new FileOutcome.Good(w.snapshot());
    }
    throw new IllegalStateException("unknown outcome " + w.getClass().getName());
  }

  private CompletionStage<Outcome> settle(FileWorker.ProcessChunk chunk, List<FileOutcome> all) {
    List<Quarantined> bad = new ArrayList<>();
    List<FileOutcome.Failed> failed = new ArrayList<>();
    int ingested = 0;
    long newest = Outcome.NO_MEMBER;
    for (FileOutcome o : all) {
      if (o instanceof FileOutcome.Good g) {
        ingested++;
        newest = Math.max(newest, g.snapshot().profile().lastActive().toEpochMilli());
      }
      else if (o instanceof FileOutcome.Bad b) bad.add(b.entry());
      else if (o instanceof FileOutcome.Failed f) failed.add(f);
    }
    // A file is singled out only when others passed the very step it fails at: otherwise the step itself is down.
    long readsFailed = failed.stream().filter(FileOutcome.Failed::read).count();
    boolean othersRead = readsFailed < all.size();
    boolean othersWritten = ingested > 0;
    if (chunk.attempt() >= settings.isolateAfterAttempts()) {
      List<FileOutcome.Failed> isolated = failed.stream()
          .filter(f -> f.read() ? othersRead : othersWritten).toList();
      for (FileOutcome.Failed f : isolated) {
        String kind = f.read() ? UNREADABLE : UNSTORABLE;
        String reason = kind + ": still failing after " + chunk.attempt() + " attempts of its chunk ("
            + describe(f.error()) + ")";
        bad.add(((FileOutcome.Bad) bad(chunk.runId(), chunk.bucket(), f.key(), kind, reason)).entry());
      }
      failed.removeAll(isolated);
    }
    if (!failed.isEmpty()) {
      FileOutcome.Failed first = failed.get(0);
      // Store what is settled first: a redo then finds it done.
      return writeQuarantine(bad).thenApply(v -> {
        throw new CompletionException(new IllegalStateException(failed.size() + " of " + all.size()
            + " files failed, e.g. " + first.key() + ": " + describe(first.error()), first.error()));
      });
    }
    int ingestedFiles = ingested;
    long newestLastActive = newest;
    return writeQuarantine(bad).thenApply(v -> new Outcome(ingestedFiles, bad.size(), newestLastActive));
  }

  private CompletableFuture<Void> writeQuarantine(List<Quarantined> bad) {
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < bad.size(); i += settings.writeBatchSize()) {
      writes.add(quarantine.write(bad.subList(i, Math.min(bad.size(), i + settings.writeBatchSize()))));
    }
    return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
  }

  private CompletionStage<FileOutcome> read(String runId, String bucket, FileRef file) {
    if (file.size() > settings.maxFileBytes()) {
      return CompletableFuture.completedFuture(bad(runId, bucket, file.key(), RejectionKind.OVERSIZE.name(),
          RejectionKind.OVERSIZE.name() + ": " + file.size() + " bytes > limit " + settings.maxFileBytes()));
    }
    return Retrying.call(settings.retry(), () -> s3.getObject(b -> b.bucket(bucket).key(file.key()),
            AsyncResponseTransformer.toBytes()))
        .handle((bytes, error) -> {
          if (error != null) return unreadable(runId, bucket, file.key(), Retrying.unwrap(error));
          try {
            return parse(runId, bucket, file.key(), bytes.asByteArrayUnsafe());
          } catch (RuntimeException e) {
            // a step of ours broke on this file: its own fault, not the chunk's (the class, not the message: no values)
            log.warn("run {}: {} broke parsing: {}", runId, file.key(), e.getClass().getName());
            return bad(runId, bucket, file.key(), UNPROCESSABLE,
                UNPROCESSABLE + ": " + e.getClass().getSimpleName() + " while parsing");
          }
        });
  }

  private FileOutcome parse(String runId, String bucket, String key, byte[] bytes) {
    ParseResult parsed = parser.parse(key, bytes);
    if (parsed instanceof ParseResult.Valid v) {
      long itemBytes = MemberStore.estimatedItemBytes(v.profile(), key);
      if (itemBytes > MemberStore.MAX_ITEM_BYTES) {
        return bad(runId, bucket, key, RejectionKind.OVERSIZE.name(), RejectionKind.OVERSIZE.name()
            + ": record of about " + itemBytes + " bytes exceeds DynamoDB's item limit of " + MemberStore.MAX_ITEM_BYTES);
      }
      return new FileOutcome.Good(new MemberStore.Snapshot(v.profile(), key, runId));
    }
    ParseResult.Invalid i = (ParseResult.Invalid) parsed;
    return bad(runId, bucket, key, i.rejection().kind().name(), i.rejection().reason());
  }

  /** A GET that failed after its retries: the file's own fault when S3 says so for good, else worth a redo. */
  private FileOutcome unreadable(String runId, String bucket, String key, Throwable cause) {
    if (cause instanceof NoSuchKeyException) {
      return bad(runId, bucket, key, MISSING_OBJECT, MISSING_OBJECT + ": listed but gone when read");
    }
    if (cause instanceof InvalidObjectStateException) {
      return bad(runId, bucket, key, UNREADABLE, UNREADABLE + ": archived to a cold storage class (restore it first)");
    }
    if (cause instanceof AwsServiceException e && e.statusCode() == HTTP_FORBIDDEN) {
      return bad(runId, bucket, key, UNREADABLE, UNREADABLE + ": access denied (" + errorCode(e) + ")");
    }
    if (!Retrying.retryable(cause) && cause instanceof AwsServiceException e) {
      return bad(runId, bucket, key, UNREADABLE, UNREADABLE + ": S3 answered " + e.statusCode() + " " + errorCode(e));
    }
    return new FileOutcome.Failed(key, cause, true);
  }

  private static String errorCode(AwsServiceException e) {
    return e.awsErrorDetails() == null ? "no error code" : e.awsErrorDetails().errorCode();
  }

  /** An error as operators read it: its type and, for AWS, status and code (never a message that may quote values). */
  private static String describe(Throwable error) {
    if (error instanceof AwsServiceException e) {
      return e.getClass().getSimpleName() + " " + e.statusCode() + " " + errorCode(e);
    }
    return error.getClass().getSimpleName();
  }

  private FileOutcome bad(String runId, String bucket, String key, String kind, String reason) {
    log.debug("run {}: quarantined s3://{}/{}: {}", runId, bucket, key, reason);
    return new FileOutcome.Bad(new Quarantined(runId, bucket, key, kind, reason, clock.instant()));
  }
}
