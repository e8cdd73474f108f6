package audience.bookings;

import audience.store.Retrying;

import audience.bookings.EdmPlatform.ImportJob;
import audience.bookings.EdmPlatform.Profile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Uploads a booking's audience file to the EDM platform: streams the CSV from S3 in chunks of
 * {@code chunkSize} rows, one import job per chunk (upsert by member id), and reports each job id before polling it
 * and each chunk's counts once imported ({@link Progress}: the booking persists them). A chunk already imported is
 * skipped; a chunk whose job id was recorded is polled, not imported again; a chunk without one is first looked up by
 * its tag ({@code <bookingId>/<chunk>}), so a crash between creating a job and recording it imports nobody twice.
 * Calls are retried: after {@code Retry-After} on 429, with exponential backoff and jitter on 5xx, timeouts and
 * dropped connections, up to {@code maxAttempts} per call; a 4xx refusal or a job that ends failed is final. Runs
 * on a blocking executor (it reads the file as a stream); memory holds one chunk.
 */
public final class AudienceUploader {
  private static final Logger log = LoggerFactory.getLogger(AudienceUploader.class);
  private static final char QUOTE = '"';
  private static final char COMMA = ',';
  /** Columns of the audience file the platform needs (docs/bookings.md): memberId, email, suburb, state. */
  private static final int MEMBER_ID = 0;
  private static final int EMAIL = 1;
  private static final int SUBURB = 2;
  private static final int STATE = 3;

  /** Opens an audience file for reading (blocking). */
  @FunctionalInterface
  public interface AudienceSource {
    InputStream open(String key);
  }

  /** What the booking records as the upload goes: each answered once the record is persisted. */
  public interface Progress {
    CompletionStage<Void> jobCreated(int chunk, String jobId);

    CompletionStage<Void> chunkImported(int chunk, long imported, long rejected);

    CompletionStage<Void> attemptFailed(String error);
  }

  /** {@code parallelJobs}: import jobs at the platform at once (their chunks are read one after the other). */
  public record Settings(int chunkSize, int maxAttempts, Duration minBackoff, Duration maxBackoff,
                         Duration pollInterval, Duration maxPollInterval, int parallelJobs) {}

  /** The upload as a whole. */
  public record Result(int chunks, long imported, long rejected) {}

  /** The upload cannot succeed: a refusal, a failed job, or the retries spent. */
  public static final class UploadFailed extends RuntimeException {
    public UploadFailed(String message) {
      super(message);
    }
  }

  private final AudienceSource source;
  private final EdmPlatform edm;
  private final Settings settings;
  private final Executor blocking;

  public AudienceUploader(AudienceSource source, EdmPlatform edm, Settings settings, Executor blocking) {
    this.source = source;
    this.edm = edm;
    this.settings = settings;
    this.blocking = blocking;
  }

  /** Uploads {@code audienceKey} for {@code bookingId}, given the chunks recorded so far. */
  public CompletableFuture<Result> upload(String bookingId, String audienceKey, Map<Integer, Booking.ChunkJob> known,
                                          Progress progress) {
    return CompletableFuture.supplyAsync(() -> run(bookingId, audienceKey, known, progress), blocking);
  }

  /** A chunk whose job is at the platform, not yet known to be done. */
  private record InFlight(int chunk, String jobId) {}

  /**
   * Chunks are read in order; up to {@code parallelJobs} of their jobs run at the platform at once (each recorded
   * before it is polled), and the oldest is awaited before another is created.
   */
  private Result run(String bookingId, String audienceKey, Map<Integer, Booking.ChunkJob> known, Progress progress) {
    long[] totals = new long[2];
    java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();
    int chunk = 0;
    try (BufferedReader csv = new BufferedReader(new InputStreamReader(source.open(audienceKey),
        StandardCharsets.UTF_8))) {
      csv.readLine(); // the header
      for (List<Profile> rows = next(csv); !rows.isEmpty(); rows = next(csv), chunk++) {
        Booking.ChunkJob job = known.get(chunk);
        if (job != null && job.done()) {
          totals[0] += job.imported();
          totals[1] += job.rejected();
          continue;
        }
        if (inFlight.size() >= settings.parallelJobs()) settle(bookingId, inFlight.poll(), progress, totals);
        String jobId = job != null ? job.jobId() : createOnce(bookingId + "/" + chunk, rows, progress);
        if (job == null) progress.jobCreated(chunk, jobId).toCompletableFuture().join();
        inFlight.add(new InFlight(chunk, jobId));
      }
      while (!inFlight.isEmpty()) settle(bookingId, inFlight.poll(), progress, totals);
    } catch (IOException e) {
      throw new UncheckedIOException("reading audience " + audienceKey, e);
    }
    return new Result(chunk, totals[0], totals[1]);
  }

  /** Awaits a chunk's job and records its counts; a job that ends failed fails the upload. */
  private void settle(String bookingId, InFlight f, Progress progress, long[] totals) {
    ImportJob done = awaitJob(f.jobId(), progress);
    if (done.status() == EdmPlatform.Status.FAILED) {
      throw new UploadFailed("import job " + f.jobId() + " of chunk " + f.chunk() + " failed on the platform");
    }
    progress.chunkImported(f.chunk(), done.imported(), done.rejected()).toCompletableFuture().join();
    log.info("booking {}: chunk {} imported by job {} ({} rows, {} rejected)", bookingId, f.chunk(), f.jobId(),
        done.imported(), done.rejected());
    totals[0] += done.imported();
    totals[1] += done.rejected();
  }

  /** The chunk's job: the one already tagged for it, else a new one. */
  private String createOnce(String tag, List<Profile> rows, Progress progress) {
    return call("find job " + tag, () -> edm.findByTag(tag), progress).map(ImportJob::jobId)
        .orElseGet(() -> call("create job " + tag, () -> edm.createImport(tag, rows), progress));
  }

  private ImportJob awaitJob(String jobId, Progress progress) {
    Duration wait = settings.pollInterval();
    while (true) {
      ImportJob job = call("poll job " + jobId, () -> edm.job(jobId), progress);
      if (job.done()) return job;
      pause(wait); // the platform works on the job: poll again, less often
      wait = min(wait.multipliedBy(2), settings.maxPollInterval());
    }
  }

  /** One platform call with its retries; every failed attempt is reported (attempts and last error). */
  private <T> T call(String what, Supplier<CompletionStage<T>> call, Progress progress) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get().toCompletableFuture().join();
      } catch (CompletionException | EdmPlatform.EdmException e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof EdmPlatform.Refused) throw new UploadFailed(what + " refused: " + cause.getMessage());
        String error = what + " (attempt " + attempt + "): " + cause.getMessage();
        progress.attemptFailed(error).toCompletableFuture().join();
        if (attempt >= settings.maxAttempts()) {
          throw new UploadFailed(what + " still failing after " + attempt + " attempts: " + cause.getMessage());
        }
        Duration wait = cause instanceof EdmPlatform.RateLimited limited ? limited.retryAfter() : backoff(attempt);
        log.warn("{}; retrying in {}", error, wait);
        pause(wait);
      }
    }
  }

  private Duration backoff(int attempt) {
    return Retrying.backoff(settings.minBackoff(), settings.maxBackoff(), attempt);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Waiting for another system (the platform), on this upload's own blocking thread. */
  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UploadFailed("interrupted");
    }
  }

  /** Up to a chunk of rows. */
  private List<Profile> next(BufferedReader csv) throws IOException {
    List<Profile> rows = new ArrayList<>(settings.chunkSize());
    String record;
    while (rows.size() < settings.chunkSize() && (record = record(csv)) != null) {
      if (record.isEmpty()) continue;
      List<String> f = fields(record);
      rows.add(new Profile(f.get(MEMBER_ID), f.get(EMAIL), f.get(SUBURB), f.get(STATE)));
    }
    return rows;
  }

  /** One CSV record: a line, joined with the next ones while a quoted field is open (it holds a line break). */
  static String record(BufferedReader csv) throws IOException {
    String line = csv.readLine();
    if (line == null) return null;
    StringBuilder r = new StringBuilder(line);
    while (quotes(r) % 2 == 1) {
      String more = csv.readLine();
      if (more == null) break;
      r.append('\n').append(more);
    }
    return r.toString();
  }

  private static long quotes(CharSequence s) {
    return s.chars().filter(c -> c == QUOTE).count();
  }

  /** The fields of one RFC 4180 record (quoted fields may hold commas, line breaks and doubled quotes). */
  static List<String> fields(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == QUOTE && i + 1 < line.length() && line.charAt(i + 1) == QUOTE) {
          f.append(QUOTE);
          i++;
        } else if (c == QUOTE) {
          quoted = false;
        } else {
          f.append(c);
        }
      } else if (c == QUOTE) {
        quoted = true;
      } else if (c == COMMA) {
        out.add(f.toString());
        f.setLength(0);
      } else {
        f.append(c);
      }
    }
    out.add(f.toString());
    return out;
  }
}
