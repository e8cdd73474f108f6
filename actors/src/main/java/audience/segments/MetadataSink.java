package audience.segments;

import audience.config.Settings.Retry;
import audience.store.Retrying;
import audience.store.SegmentStore;
import audience.store.SegmentStore.SegmentRow;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.util.concurrent.CompletionStage;

/**
 * Where a consumed segment record takes effect: its metadata document in the segments bucket, then its row in the
 * segments read model. Both are keyed by generation and segment, so writing a record again changes nothing and the
 * last write of a key wins (docs/segments.md "Consumers").
 */
@FunctionalInterface
public interface MetadataSink {
  /** Content type of a metadata document. */
  String CONTENT_TYPE = "application/json";

  /** Stores {@code metadata}, whose exact record bytes are {@code json}; completes once both writes are durable. */
  CompletionStage<Void> write(SegmentMetadata metadata, byte[] json);

  /** The S3 key of a segment's metadata document: {@code metadata/<generationId>/<segmentId>.json}. */
  static String metadataKey(String generationId, String segmentId) {
    return "metadata/" + generationId + "/" + segmentId + ".json";
  }

  /** The read model row of a document written at {@link #metadataKey}. */
  static SegmentRow row(SegmentMetadata m, byte[] json) {
    return new SegmentRow(m.generationId(), m.segmentId(), m.state(), m.suburb(), m.intent(), m.propertyType(),
        m.priceBand(), m.audienceSize(), metadataKey(m.generationId(), m.segmentId()), SegmentMetadata.checksum(json),
        json.length, m.sourceRunId(), m.generatedAt(), SegmentStore.ACTIVE);
  }

  /**
   * The service's sink: PUT of the exact bytes to {@code bucket}, then {@link SegmentStore#put} (which never brings
   * a retired row back); the PUT is retried with {@code retry}, the store retries its own writes.
   */
  static MetadataSink s3(S3AsyncClient s3, String bucket, SegmentStore store, Retry retry) {
    return (metadata, json) -> {
      String key = metadataKey(metadata.generationId(), metadata.segmentId());
      return Retrying.call(retry, () -> s3.putObject(b -> b.bucket(bucket).key(key).contentType(CONTENT_TYPE)
              .contentLength((long) json.length), AsyncRequestBody.fromBytes(json)))
          .thenCompose(put -> store.put(row(metadata, json)));
    };
  }
}
