package audience.ingestion;

import audience.config.Settings.Retry;
import audience.store.Retrying;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** How a run lists its files, a page at a time in key order: S3's ListObjectsV2 in the service. */
@FunctionalInterface
public interface FileListing {
  /** Up to {@code maxKeys} files under {@code prefix} after {@code startAfter} (empty: from the start). */
  CompletionStage<Page> page(String bucket, String prefix, String startAfter, int maxKeys);

  /** One page; {@code more} when the listing goes on after it. */
  record Page(List<FileRef> files, boolean more) {}

  /** ListObjectsV2 with StartAfter, retried with backoff on throttling and server errors. */
  static FileListing s3(S3AsyncClient s3, Retry retry) {
    return (bucket, prefix, startAfter, maxKeys) -> {
      ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix)
          .maxKeys(maxKeys);
      if (!startAfter.isEmpty()) request.startAfter(startAfter);
      ListObjectsV2Request r = request.build();
      return Retrying.call(retry, () -> s3.listObjectsV2(r)).thenApply(page -> {
        List<FileRef> files = page.contents().stream().map(o -> new FileRef(o.key(), o.size())).toList();
        return new Page(files, Boolean.TRUE.equals(page.isTruncated()) && !files.isEmpty());
      });
    };
  }
}
