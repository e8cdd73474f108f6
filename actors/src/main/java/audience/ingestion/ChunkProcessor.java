package audience.ingestion;

import audience.config.Settings.IngestionSettings;
import audience.contract.ContractParser;
import audience.contract.ParseResult;
import audience.contract.RejectionKind;
import audience.store.MemberStore;
import audience.store.QuarantineStore.Quarantined;
import audience.store.QuarantineStore;
import audience.store.Retrying;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Settles one chunk: GET, decompress, parse and validate each file ({@code file-parallelism} at a time),
 * write the good ones to the members table in batches of 25 ({@code write-parallelism} batches in flight),
 * and the bad ones to the quarantine with their reason. The returned stage completes once every file of the
 * chunk is stored one way or the other, and fails (so the chunk is dispatched again) if a store stays down.
 * Redoing a chunk is harmless: every write is keyed by its file.
 */
public final class ChunkProcessor {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ChunkProcessor.class);

  /** Kind recorded for a listed object that is gone by the time it is read. */
  public static final String MISSING_OBJECT = "MISSING_OBJECT";

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
  public record Outcome(int ingested, int quarantined) {}

  private sealed interface FileOutcome {
    record Good(MemberStore.Snapshot snapshot) implements FileOutcome {}
    record Bad(Quarantined entry) implements FileOutcome {}
  }

  public CompletionStage<Outcome> process(String runId, String bucket, List<FileRef> files) {
    List<Quarantined> bad = new ArrayList<>();
    return Source.from(files)
        .mapAsyncUnordered(settings.fileParallelism(), f -> read(runId, bucket, f))
        .filter(outcome -> {
          if (outcome instanceof FileOutcome.Bad b) {
            synchronized (bad) { bad.add(b.entry()); }
            return false;
          }
          return true;
        })
        .map(outcome -> ((FileOutcome.Good) outcome).snapshot())
        .grouped(settings.writeBatchSize())
        .mapAsyncUnordered(settings.writeParallelism(), batch -> members.write(batch).thenApply(v -> batch.size()))
        .runWith(Sink.fold(0, Integer::sum), materializer)
        .thenCompose(ingested -> writeQuarantine(bad).thenApply(v -> new Outcome(ingested, bad.size())));
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
          if (error != null) {
            if (Retrying.unwrap(error) instanceof NoSuchKeyException) {
              return bad(runId, bucket, file.key(), MISSING_OBJECT,
                  MISSING_OBJECT + ": listed but gone when read");
            }
            throw new IllegalStateException("GET s3://" + bucket + "/" + file.key() + " failed", Retrying.unwrap(error));
          }
          ParseResult parsed = parser.parse(file.key(), bytes.asByteArrayUnsafe());
          if (parsed instanceof ParseResult.Valid v) {
            long itemBytes = MemberStore.estimatedItemBytes(v.profile(), file.key());
            if (itemBytes > MemberStore.MAX_ITEM_BYTES) {
              return bad(runId, bucket, file.key(), RejectionKind.OVERSIZE.name(), RejectionKind.OVERSIZE.name()
                  + ": record of about " + itemBytes + " bytes exceeds DynamoDB's item limit of " + MemberStore.MAX_ITEM_BYTES);
            }
            return new FileOutcome.Good(new MemberStore.Snapshot(v.profile(), file.key(), runId));
          }
          ParseResult.Invalid i = (ParseResult.Invalid) parsed;
          return bad(runId, bucket, file.key(), i.rejection().kind().name(), i.rejection().reason());
        });
  }

  private FileOutcome bad(String runId, String bucket, String key, String kind, String reason) {
    log.debug("run {}: quarantined s3://{}/{}: {}", runId, bucket, key, reason);
    return new FileOutcome.Bad(new Quarantined(runId, bucket, key, kind, reason, clock.instant()));
  }
}
