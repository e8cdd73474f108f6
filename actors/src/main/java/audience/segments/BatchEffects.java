package audience.segments;

import audience.kinesis.KinesisRecord;
import audience.kinesis.RecordBatch;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The effects of one batch of segment records: each record's metadata written to the {@link MetadataSink}, at most
 * {@code parallelism} at once. A record that is not segment metadata is logged (shard, sequence number) and skipped:
 * it never blocks its shard. Of several records of one (generation, segment) in a batch only the last is written, so
 * the last record of a key wins even with parallel writes.
 */
final class BatchEffects {
  /** What a batch came to: records written, and records skipped as malformed. */
  record Outcome(int written, int skipped) {}

  /** A record read as metadata, with its exact bytes. */
  private record Parsed(KinesisRecord record, SegmentMetadata metadata, byte[] json) {
    String key() {
      return metadata.generationId() + "/" + metadata.segmentId();
    }
  }

  private BatchEffects() {}

  static CompletionStage<Outcome> apply(RecordBatch batch, MetadataSink sink, int parallelism, Materializer mat,
                                        Logger log) {
    Map<String, Parsed> lastOfKey = new LinkedHashMap<>();
    int skipped = 0;
    for (KinesisRecord r : batch.records()) {
      byte[] json = r.data();
      try {
        Parsed p = new Parsed(r, SegmentMetadata.fromJson(json), json);
        lastOfKey.remove(p.key()); // keep the key at its last position
        lastOfKey.put(p.key(), p);
      } catch (RuntimeException e) {
        skipped++;
        log.warn("shard {} sequence {}: skipping a record that is not segment metadata ({} bytes): {}",
            batch.shardId(), r.sequenceNumber(), json.length, firstLine(e));
      }
    }
    List<Parsed> writes = new ArrayList<>(lastOfKey.values());
    int skippedRecords = skipped;
    return Source.from(writes)
        .mapAsyncUnordered(parallelism, p -> sink.write(p.metadata(), p.json()).whenComplete((v, error) -> {
          if (error != null) {
            log.warn("shard {} sequence {}: generation {} segment {} not written: {}", batch.shardId(),
                p.record().sequenceNumber(), p.metadata().generationId(), p.metadata().segmentId(), error.toString());
          } else if (log.isDebugEnabled()) {
            log.debug("shard {} sequence {}: generation {} segment {} written", batch.shardId(),
                p.record().sequenceNumber(), p.metadata().generationId(), p.metadata().segmentId());
          }
        }))
        .runWith(Sink.ignore(), mat)
        .thenApply(done -> new Outcome(writes.size(), skippedRecords));
  }

  /** An exception's message without the rest of a parser's multi-line report (which may quote the input). */
  private static String firstLine(Throwable e) {
    Throwable c = e.getCause() != null ? e.getCause() : e;
    String m = String.valueOf(c.getMessage());
    int nl = m.indexOf('\n');
    return c.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
  }
}
