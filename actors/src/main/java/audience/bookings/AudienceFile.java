package audience.bookings;

import audience.config.Settings.ExportSettings;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An audience file being written: records are appended to one buffer, and every time the buffer reaches the part
 * size it goes to the upload as the next part, and appending waits until S3 has it. So the file holds at most the
 * part size plus one record, whatever the audience; the last part (the rest, maybe only the header) goes on
 * {@link #close}. The SHA-256 and the size of the bytes are kept as they pass. Single-threaded: the next append
 * comes after the previous one's stage completed.
 */
final class AudienceFile {
  private static final String DIGEST = "SHA-256";
  /** The buffer starts small (an audience is often a few hundred rows) and grows up to a part and a record. */
  private static final int INITIAL_CAPACITY = 64 * 1024;

  private final MultipartUploads.Upload upload;
  private final long partSize;
  private final int maxParts;
  private final MessageDigest digest;
  private byte[] buffer;
  private int buffered;
  private volatile boolean uploading;
  private int maxBuffered;
  private int parts;
  private long bytes;
  private long records;

  /** What was written: records (the header included), bytes, their SHA-256 (lower-case hex), parts. */
  record Written(long records, long bytes, String sha256, int parts) {}

  AudienceFile(MultipartUploads.Upload upload, long partSize, int maxParts) {
    if (partSize < 1 || partSize >= Integer.MAX_VALUE) throw new IllegalArgumentException("part size " + partSize);
    this.upload = upload;
    this.partSize = partSize;
    this.maxParts = maxParts;
    this.buffer = new byte[(int) Math.min(partSize, INITIAL_CAPACITY)];
    try {
      this.digest = MessageDigest.getInstance(DIGEST);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(DIGEST + " is part of every JVM", e);
    }
  }

  AudienceFile(MultipartUploads.Upload upload, ExportSettings settings) {
    this(upload, settings.partSize(), ExportSettings.MAX_PARTS);
  }

  /** Appends one record; the stage completes at once, or once the part it completed is uploaded. */
  CompletionStage<Void> append(byte[] record) {
    if (uploading) throw new IllegalStateException("append before the previous part was uploaded");
    ensureCapacity(buffered + record.length);
    System.arraycopy(record, 0, buffer, buffered, record.length);
    buffered += record.length;
    maxBuffered = Math.max(maxBuffered, buffered);
    digest.update(record);
    bytes += record.length;
    records++;
    return buffered >= partSize ? flush() : CompletableFuture.completedFuture(null);
  }

  /** Uploads the rest as the last part and completes the upload. */
  CompletionStage<Written> close() {
    return flush().thenCompose(v -> upload.complete())
        .thenApply(v -> new Written(records, bytes, HexFormat.of().formatHex(digest.digest()), parts));
  }

  /** The most bytes the buffer ever held. */
  int maxBuffered() {
    return maxBuffered;
  }

  private CompletionStage<Void> flush() {
    if (parts >= maxParts) {
      return CompletableFuture.failedFuture(new IllegalStateException("the audience file needs more than " + maxParts
          + " parts of " + partSize + " bytes; raise audience.bookings.export.part-size"));
    }
    parts++;
    ByteBuffer part = ByteBuffer.wrap(buffer, 0, buffered).asReadOnlyBuffer();
    // The buffer is the part until S3 has it; then it is emptied and takes the next records.
    uploading = true;
    return upload.part(parts, part).whenComplete((v, e) -> {
      uploading = false;
      buffered = 0;
    });
  }

  private void ensureCapacity(int needed) {
    if (needed <= buffer.length) return;
    int grown = (int) Math.min(Math.max(needed, (long) buffer.length * 2), Integer.MAX_VALUE - 1);
    byte[] larger = new byte[grown];
    System.arraycopy(buffer, 0, larger, 0, buffered);
    buffer = larger;
  }

}
