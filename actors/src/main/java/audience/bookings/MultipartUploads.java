package audience.bookings;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/** Where an audience file goes: a multipart upload per file (S3's, {@link S3MultipartUploads}, or a test's). */
public interface MultipartUploads {
  /** Starts the upload of {@code key}. */
  CompletionStage<Upload> start(String key);

  /** One upload under way. */
  interface Upload {
    /**
     * Uploads part {@code number} (from 1, in order). {@code bytes} are not changed until the stage completes, and
     * may be read more than once (a retried request).
     */
    CompletionStage<Void> part(int number, ByteBuffer bytes);

    /** Completes the upload with every part uploaded: the object appears whole, replacing one of the same key. */
    CompletionStage<Void> complete();

    /** Abandons the upload and frees its parts; the object under the key, if any, stays as it was. */
    CompletionStage<Void> abort();
  }
}
