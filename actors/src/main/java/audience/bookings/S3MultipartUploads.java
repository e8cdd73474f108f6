package audience.bookings;

import audience.config.Settings.Retry;
import audience.store.Retrying;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * S3 multipart uploads to one bucket, encrypted at rest by S3 ({@code x-amz-server-side-encryption: AES256} on
 * CreateMultipartUpload, SSE-S3), as {@code text/csv}. Each call is retried with backoff on throttling, 5xx and I/O
 * errors.
 */
public record S3MultipartUploads(S3AsyncClient s3, String bucket, Retry retry) implements MultipartUploads {
  static final String CONTENT_TYPE = "text/csv; charset=utf-8";

  @Override
  public CompletionStage<Upload> start(String key) {
    return Retrying.call(retry, () -> s3.createMultipartUpload(b -> b.bucket(bucket).key(key)
            .contentType(CONTENT_TYPE).serverSideEncryption(ServerSideEncryption.AES256)))
        .thenApply(r -> new S3Upload(key, r.uploadId()));
  }

  private final class S3Upload implements Upload {
    private final String key;
    private final String uploadId;
    private final ConcurrentLinkedQueue<CompletedPart> parts = new ConcurrentLinkedQueue<>();

    S3Upload(String key, String uploadId) {
      this.key = key;
      this.uploadId = uploadId;
    }

    @Override
    public CompletionStage<Void> part(int number, ByteBuffer bytes) {
      return Retrying.call(retry, () -> s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                  .partNumber(number).contentLength((long) bytes.remaining()),
              AsyncRequestBody.fromByteBufferUnsafe(bytes.duplicate())))
          .thenAccept(r -> parts.add(CompletedPart.builder().partNumber(number).eTag(r.eTag()).build()));
    }

    @Override
    public CompletionStage<Void> complete() {
      List<CompletedPart> ordered = parts.stream().sorted(Comparator.comparing(CompletedPart::partNumber)).toList();
      return Retrying.call(retry, () -> s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
          .multipartUpload(m -> m.parts(ordered)))).thenApply(r -> null);
    }

    @Override
    public CompletionStage<Void> abort() {
      return Retrying.call(retry, () -> s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)))
          .thenApply(r -> null);
    }
  }
}
