package audience.bookings;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The third-party EDM platform, as the uploader sees it: bulk audience imports as asynchronous jobs (the contract
 * is written down in docs/edm-platform.md). A job upserts by {@link Profile#memberId}, so importing a member again
 * changes nothing there; there is no idempotency key, so a job is tagged (booking and chunk) and looked up by its tag
 * before a chunk whose job id was not recorded is imported again. Failures come back as {@link EdmException}s.
 */
public interface EdmPlatform {
  /** One row of an import: what the platform needs to mail a member. */
  record Profile(String memberId, String email, String suburb, String state) {}

  /** Starts an import job of {@code profiles} tagged {@code tag}; answers its job id. */
  CompletionStage<String> createImport(String tag, List<Profile> profiles);

  /** Where a job stands. */
  CompletionStage<ImportJob> job(String jobId);

  /** The job tagged {@code tag}, if one was created. */
  CompletionStage<Optional<ImportJob>> findByTag(String tag);

  /** A job's state; {@code imported} and {@code rejected} are final once {@link Status#COMPLETE}. */
  record ImportJob(String jobId, String tag, Status status, long imported, long rejected, List<RowError> errors) {
    public boolean done() {
      return status == Status.COMPLETE || status == Status.FAILED;
    }
  }

  enum Status { QUEUED, PROCESSING, COMPLETE, FAILED }

  /** A row the platform refused, by member id (never the email). */
  record RowError(String memberId, String reason) {}

  /** What went wrong with a call. */
  sealed class EdmException extends RuntimeException permits RateLimited, Unavailable, Refused {
    EdmException(String message) {
      super(message);
    }
  }

  /** 429: ask again after {@code retryAfter}. */
  final class RateLimited extends EdmException {
    private final Duration retryAfter;

    public RateLimited(Duration retryAfter) {
      super("rate limited; retry after " + retryAfter);
      this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
      return retryAfter;
    }
  }

  /** 5xx, a timeout or a dropped connection: worth retrying with backoff. */
  final class Unavailable extends EdmException {
    public Unavailable(String message) {
      super(message);
    }
  }

  /** 4xx other than 429 (bad request, unauthorized): retrying the same call cannot help. */
  final class Refused extends EdmException {
    public Refused(String message) {
      super(message);
    }
  }
}
