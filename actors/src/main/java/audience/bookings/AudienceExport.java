package audience.bookings;

import audience.config.Settings;
import audience.config.Settings.ExportSettings;
import audience.segments.SegmentMetadata;
import audience.store.MemberStore;
import audience.store.MemberStore.ScanFilter;
import audience.store.MemberStore.ScanPage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A booking's audience file (docs/bookings.md "Audience file"): the segment's current opted-in members, active within
 * its window and in its price band, minus the suppression list, as CSV ({@link AudienceCsv}) at
 * {@code audiences/<bookingId>.csv} in the audiences bucket.
 *
 * <p>Bounded memory: the members table is scanned one page at a time (no parallel segments), the page's members are
 * checked against the suppression list (BatchGetItem, 100 keys a call), their records appended to the file, and only
 * then is the next page asked for; the file holds at most one part ({@code audience.bookings.export.part-size}) and a
 * record ({@link AudienceFile}). So memory is one page and one part, whatever the audience.
 *
 * <p>Idempotent: writing a booking again writes the file again under the same key, replacing it whole (a multipart
 * upload appears only on completion). A failure aborts the upload, leaving the key as it was. Logs and errors carry
 * the booking and segment ids and counts, never a member's data.
 */
public final class AudienceExport {
  private static final Logger log = LoggerFactory.getLogger(AudienceExport.class);
  /** A booking id makes an S3 key: letters, digits and {@code - _ . ~}, not starting with a dot. */
  private static final Pattern BOOKING_ID = Pattern.compile("[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,199}");
  static final String PREFIX = "audiences/";
  static final String SUFFIX = ".csv";

  /** Pages of the members the filter keeps, tombstones left out: {@link MemberStore#scanPage}. */
  public interface MemberPages {
    CompletionStage<ScanPage> page(ScanFilter filter, Map<String, AttributeValue> start);
  }

  /** Which of some member ids are on the suppression list: {@link MemberStore#suppressedAmong}. */
  public interface SuppressionList {
    CompletionStage<Set<String>> among(Collection<String> memberIds);
  }

  /**
   * The written file.
   *
   * @param key its S3 key in the audiences bucket
   * @param members its member records (the header not counted)
   * @param checksum SHA-256 of its bytes, lower-case hex
   * @param bytes its size
   */
  public record Audience(String key, long members, String checksum, long bytes) {}

  private final Function<String, CompletionStage<SegmentMetadata>> metadata;
  private final MemberPages pages;
  private final SuppressionList suppression;
  private final MultipartUploads uploads;
  private final ExportSettings settings;

  /**
   * @param metadata reads a segment's metadata document by its key in the segments bucket
   */
  public AudienceExport(Function<String, CompletionStage<SegmentMetadata>> metadata, MemberPages pages,
                        SuppressionList suppression, MultipartUploads uploads, ExportSettings settings) {
    this.metadata = metadata;
    this.pages = pages;
    this.suppression = suppression;
    this.uploads = uploads;
    this.settings = settings;
  }

  /** The export as configured: metadata from the segments bucket, files to the audiences bucket. */
  public static AudienceExport of(S3AsyncClient s3, MemberStore members, Settings settings) {
    return of(s3, members, settings, settings.bookings().export());
  }

  /** As configured, with {@code export} settings of one's own (a test's smaller part size). */
  public static AudienceExport of(S3AsyncClient s3, MemberStore members, Settings settings, ExportSettings export) {
    var r = settings.resources();
    Settings.Retry retry = settings.ingestion().retry();
    Function<String, CompletionStage<SegmentMetadata>> metadata = key -> s3.getObject(
            b -> b.bucket(r.segmentsBucket()).key(key), AsyncResponseTransformer.toBytes())
        .thenApply(bytes -> SegmentMetadata.fromJson(bytes.asByteArrayUnsafe()));
    return new AudienceExport(metadata, members::scanPage, members::suppressedAmong,
        new S3MultipartUploads(s3, r.audiencesBucket(), retry), export);
  }

  /** The S3 key of a booking's audience file. */
  public static String key(String bookingId) {
    if (!BOOKING_ID.matcher(bookingId).matches()) {
      throw new IllegalArgumentException("a booking id is 1 to 200 letters, digits or - _ . ~ (not starting with .)");
    }
    return PREFIX + bookingId + SUFFIX;
  }

  /** Writes the audience of the segment whose metadata document is {@code metadataKey} in the segments bucket. */
  public CompletionStage<Audience> write(String bookingId, String metadataKey) {
    String key;
    try {
      key = key(bookingId);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return metadata.apply(metadataKey).thenCompose(segment -> write(bookingId, key, segment));
  }

  /** Writes the audience of {@code segment}. */
  public CompletionStage<Audience> write(String bookingId, SegmentMetadata segment) {
    try {
      return write(bookingId, key(bookingId), segment);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<Audience> write(String bookingId, String key, SegmentMetadata segment) {
    AudienceQuery query = AudienceQuery.of(segment);
    return uploads.start(key).thenCompose(upload -> {
      AudienceFile file = new AudienceFile(upload, settings);
      Tally tally = new Tally();
      return file.append(AudienceCsv.header())
          .thenCompose(v -> fromPage(query, null, file, tally))
          .thenCompose(v -> file.close())
          .<CompletionStage<Audience>>handle((written, error) -> error == null
              ? CompletableFuture.completedFuture(done(bookingId, segment, key, written, tally))
              : aborted(bookingId, segment, upload, error))
          .thenCompose(Function.identity());
    });
  }

  private static Audience done(String bookingId, SegmentMetadata segment, String key, AudienceFile.Written written,
                               Tally tally) {
    Audience audience = new Audience(key, written.records() - 1, written.sha256(), written.bytes());
    log.info("booking {}: audience of segment {} written to {}: {} members, {} bytes in {} parts ({} suppressed, "
            + "{} outside the band, {} malformed items left out)", bookingId, segment.segmentId(), key,
        audience.members(), audience.bytes(), written.parts(), tally.suppressed, tally.outOfBand, tally.malformed);
    return audience;
  }

  /** Aborts the upload, then fails with {@code error} (an abort's own failure added to it as suppressed). */
  private static CompletionStage<Audience> aborted(String bookingId, SegmentMetadata segment,
                                                   MultipartUploads.Upload upload, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    log.warn("booking {}: the audience of segment {} failed ({}); its upload is aborted", bookingId,
        segment.segmentId(), cause.getClass().getSimpleName());
    CompletableFuture<Audience> failed = new CompletableFuture<>();
    upload.abort().whenComplete((v, abortError) -> {
      if (abortError != null) cause.addSuppressed(abortError);
      failed.completeExceptionally(cause);
    });
    return failed;
  }

  /** What was left out, for the log. */
  private static final class Tally {
    long suppressed;
    long outOfBand;
    long malformed;
  }

  /** The page after {@code start}, written, then the next: one page in memory at a time. */
  private CompletionStage<Void> fromPage(AudienceQuery query, Map<String, AttributeValue> start, AudienceFile file,
                                         Tally tally) {
    return pages.page(query.filter(), start).thenCompose(page -> {
      List<AudienceMember> members = new ArrayList<>(page.items().size());
      for (Map<String, AttributeValue> item : page.items()) {
        AudienceMember m;
        try {
          m = AudienceMember.fromItem(item);
        } catch (RuntimeException e) { // names the attribute only
          tally.malformed++;
          continue;
        }
        if (query.inBand(m.priceMin(), m.priceMax())) members.add(m);
        else tally.outOfBand++;
      }
      CompletionStage<Set<String>> suppressed = members.isEmpty() ? CompletableFuture.completedFuture(Set.of())
          : suppression.among(members.stream().map(AudienceMember::memberId).toList());
      return suppressed.thenCompose(out -> {
        List<AudienceMember> kept = out.isEmpty() ? members
            : members.stream().filter(m -> !out.contains(m.memberId())).toList();
        tally.suppressed += members.size() - kept.size();
        return append(kept.iterator(), file);
      }).thenCompose(v -> page.last() ? CompletableFuture.completedFuture(null)
          : fromPage(query, page.next(), file, tally));
    });
  }

  /** Appends every record, waiting only when a part is uploaded. */
  private static CompletionStage<Void> append(Iterator<AudienceMember> members, AudienceFile file) {
    while (members.hasNext()) {
      CompletableFuture<Void> appended = file.append(AudienceCsv.row(members.next())).toCompletableFuture();
      if (!appended.isDone() || appended.isCompletedExceptionally()) {
        return appended.thenCompose(v -> append(members, file));
      }
    }
    return CompletableFuture.completedFuture(null);
  }
}
