package audience.ingestion;

import audience.config.Settings.Retry;
import audience.store.QuarantineStore;
import audience.store.Retrying;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * How a run lists its files, a page at a time in key order: S3's ListObjectsV2 over the run's prefix, or for a
 * redrive the keys its original run quarantined (the service composes the two by {@link RunSpec#redriveOf}).
 */
@FunctionalInterface
public interface FileListing {
  /** Up to {@code maxKeys} of the run's files after {@code startAfter} (empty: from the start). */
  CompletionStage<Page> page(RunSpec spec, String startAfter, int maxKeys);

  /** One page; {@code more} when the listing goes on after it. */
  record Page(List<FileRef> files, boolean more) {}

  /** Size given to a redriven key that is gone: the GET then finds it missing (and quarantines it as such). */
  long GONE = 0;

  int HTTP_NOT_FOUND = 404;

  /** ListObjectsV2 with StartAfter, retried with backoff on throttling and server errors. */
  static FileListing s3(S3AsyncClient s3, Retry retry) {
    return (spec, startAfter, maxKeys) -> {
      ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(spec.bucket()).prefix(spec.prefix())
          .maxKeys(maxKeys);
      if (!startAfter.isEmpty()) request.startAfter(startAfter);
      ListObjectsV2Request r = request.build();
      return Retrying.call(retry, () -> s3.listObjectsV2(r)).thenApply(page -> {
        List<FileRef> files = page.contents().stream().map(o -> new FileRef(o.key(), o.size())).toList();
        return new Page(files, Boolean.TRUE.equals(page.isTruncated()) && !files.isEmpty());
      });
    };
  }

  /**
   * A redrive's listing: the keys the run {@code spec.redriveOf()} quarantined, in key order after
   * {@code startAfter}, a page of the quarantine table at a time. Each key's current size comes from a HEAD (the
   * quarantine does not keep it), so a file still too large is refused again without being read.
   */
  static FileListing quarantined(QuarantineStore quarantine, S3AsyncClient s3, Retry retry) {
    return (spec, startAfter, maxKeys) -> quarantine.page(spec.redriveOf(), null, startAfter,
            Math.min(maxKeys, QuarantineStore.MAX_PAGE))
        .thenCompose(page -> {
          List<CompletableFuture<FileRef>> files = page.entries().stream()
              .map(q -> sizeOf(s3, retry, spec.bucket(), q.fileKey())).toList();
          return CompletableFuture.allOf(files.toArray(CompletableFuture[]::new))
              .thenApply(v -> new Page(files.stream().map(CompletableFuture::join).toList(), page.next() != null));
        });
  }

  private static CompletableFuture<FileRef> sizeOf(S3AsyncClient s3, Retry retry, String bucket, String key) {
    return Retrying.call(retry, () -> s3.headObject(b -> b.bucket(bucket).key(key))).handle((head, error) -> {
      if (error == null) return new FileRef(key, head.contentLength());
      Throwable cause = Retrying.unwrap(error);
      if (cause instanceof NoSuchKeyException || (cause instanceof S3Exception e && e.statusCode() == HTTP_NOT_FOUND)) {
        return new FileRef(key, GONE);
      }
      throw new IllegalStateException("HEAD s3://" + bucket + "/" + key + " failed", cause);
    });
  }
}
