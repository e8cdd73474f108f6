package audience.ingestion;

import audience.store.Retrying;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.util.concurrent.CompletionStage;

/** Whether a run's bucket exists, asked before the run is created rather than left listing forever. */
@FunctionalInterface
public interface BucketCheck {
  /** Completes normally, or fails with IllegalArgumentException naming a bucket that does not exist. */
  CompletionStage<Void> requireExists(String bucket);

  int HTTP_NOT_FOUND = 404;

  /** HeadBucket; errors other than "no such bucket" (throttling, permissions) are left to the listing's retries. */
  static BucketCheck s3(S3AsyncClient s3) {
    return bucket -> s3.headBucket(b -> b.bucket(bucket)).handle((ok, error) -> {
      Throwable cause = error == null ? null : Retrying.unwrap(error);
      if (cause instanceof NoSuchBucketException || (cause instanceof S3Exception e && e.statusCode() == HTTP_NOT_FOUND)) {
        throw new IllegalArgumentException("bucket " + bucket + " does not exist");
      }
      return null;
    });
  }
}
