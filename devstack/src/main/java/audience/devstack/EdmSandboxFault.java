package audience.devstack;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.Objects;

/**
 * One scripted answer of the {@link EdmSandbox}: it takes the place of the sandbox's own answer to the next API call
 * it matches ({@link #on}), once. As JSON (what {@code POST /sandbox/faults} takes, a list of these):
 *
 * <pre>
 * [{"kind": "rateLimited", "retryAfterSeconds": 2},
 *  {"kind": "serverError", "status": 503, "on": "poll"},
 *  {"kind": "slow", "delayMs": 1500, "on": "create"},
 *  {"kind": "drop", "on": "create"},
 *  {"kind": "failJob"}]
 * </pre>
 *
 * @param kind what happens instead of (or on top of) the normal answer
 * @param on which calls it may take: {@code any} (the default), {@code create}, {@code poll} or {@code find}
 * @param status {@link Kind#SERVER_ERROR}: the 5xx status (default 500)
 * @param retryAfterSeconds {@link Kind#RATE_LIMITED}: the {@code Retry-After} header (default 1)
 * @param delayMs {@link Kind#SLOW}: how long the answer is held back before the normal answer
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record EdmSandboxFault(Kind kind, Call on, int status, long retryAfterSeconds, long delayMs) {
  /** A 5xx without a status named. */
  public static final int DEFAULT_STATUS = 500;
  /** A 429 without a Retry-After named. */
  public static final long DEFAULT_RETRY_AFTER_SECONDS = 1;
  private static final int FIRST_5XX = 500;
  private static final int LAST_5XX = 599;

  /** What a scripted answer does. */
  public enum Kind {
    /** 429 with {@code Retry-After}; nothing is done. */
    @JsonProperty("rateLimited") RATE_LIMITED,
    /** A 5xx with a JSON error; nothing is done. */
    @JsonProperty("serverError") SERVER_ERROR,
    /** The normal answer, {@code delayMs} late (the call is carried out when the answer goes). */
    @JsonProperty("slow") SLOW,
    /** The connection is closed without an answer; nothing is done. */
    @JsonProperty("drop") DROP,
    /** Only on {@code create}: the job is accepted as usual (202), and ends {@code failed}, importing nothing. */
    @JsonProperty("failJob") FAIL_JOB
  }

  /** Which API calls a scripted answer may take. */
  public enum Call {
    @JsonProperty("any") ANY,
    /** {@code POST /v1/imports}. */
    @JsonProperty("create") CREATE,
    /** {@code GET /v1/imports/{jobId}}. */
    @JsonProperty("poll") POLL,
    /** {@code GET /v1/imports?tag=T}. */
    @JsonProperty("find") FIND;

    boolean takes(Call call) {
      return this == ANY || this == call;
    }
  }

  public EdmSandboxFault {
    Objects.requireNonNull(kind, "kind is required (rateLimited, serverError, slow, drop, failJob)");
    if (on == null) {
      on = kind == Kind.FAIL_JOB ? Call.CREATE : Call.ANY;
    }
    if (kind == Kind.FAIL_JOB && on != Call.CREATE) {
      throw new IllegalArgumentException("failJob only applies to create, not " + on);
    }
    if (kind == Kind.SERVER_ERROR) {
      status = status == 0 ? DEFAULT_STATUS : status;
      if (status < FIRST_5XX || status > LAST_5XX) {
        throw new IllegalArgumentException("serverError status must be 5xx, not " + status);
      }
    }
    if (kind == Kind.RATE_LIMITED) {
      retryAfterSeconds = retryAfterSeconds == 0 ? DEFAULT_RETRY_AFTER_SECONDS : retryAfterSeconds;
      if (retryAfterSeconds < 0) {
        throw new IllegalArgumentException("retryAfterSeconds must not be negative");
      }
    }
    if (delayMs < 0) {
      throw new IllegalArgumentException("delayMs must not be negative");
    }
  }

  /** 429 with {@code Retry-After} of {@code retryAfter} (whole seconds). */
  public static EdmSandboxFault rateLimited(Duration retryAfter) {
    return new EdmSandboxFault(Kind.RATE_LIMITED, null, 0, retryAfter.toSeconds(), 0);
  }

  /** A 5xx answer. */
  public static EdmSandboxFault serverError(int status) {
    return new EdmSandboxFault(Kind.SERVER_ERROR, null, status, 0, 0);
  }

  /** The normal answer, {@code delay} late. */
  public static EdmSandboxFault slow(Duration delay) {
    return new EdmSandboxFault(Kind.SLOW, null, 0, 0, delay.toMillis());
  }

  /** The connection closed without an answer. */
  public static EdmSandboxFault drop() {
    return new EdmSandboxFault(Kind.DROP, null, 0, 0, 0);
  }

  /** The next job created ends failed. */
  public static EdmSandboxFault failJob() {
    return new EdmSandboxFault(Kind.FAIL_JOB, Call.CREATE, 0, 0, 0);
  }

  /** The same answer, taken only by {@code call}s. */
  public EdmSandboxFault on(Call call) {
    return new EdmSandboxFault(kind, call, status, retryAfterSeconds, delayMs);
  }
}
