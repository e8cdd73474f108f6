package audience.bookings;

import audience.config.Settings.EdmSettings;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EdmPlatform} over HTTP, as docs/edm-platform.md writes the contract down: {@code POST /v1/imports},
 * {@code GET /v1/imports/{jobId}}, {@code GET /v1/imports?tag=T}, with {@code Authorization: Bearer <api key>}.
 * Asynchronous ({@link HttpClient#sendAsync}); no retries of its own: a failure comes back as an
 * {@link EdmException} and the caller decides ({@link RateLimited} with the platform's {@code Retry-After},
 * {@link Unavailable} for 5xx, timeouts and I/O errors, {@link Refused} for any other 4xx).
 *
 * <p>The API key goes in one request header and nowhere else: not in a log line, an exception message or
 * {@link #toString()}; nor does an email (error messages name the call, the tag or job id, and the status).
 */
public final class HttpEdmPlatform implements EdmPlatform {
  private static final Logger log = LoggerFactory.getLogger(HttpEdmPlatform.class);
  static final String IMPORTS_PATH = "/v1/imports";
  /** A 429 without a readable {@code Retry-After}: wait this long. */
  static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TOO_MANY_REQUESTS = 429;
  private static final int NOT_FOUND = 404;
  private static final int FIRST_CLIENT_ERROR = 400;
  private static final int FIRST_SERVER_ERROR = 500;
  private static final int FIRST_SUCCESS = 200;
  private static final int FIRST_REDIRECT = 300;

  private final URI imports;
  private final String authorization;
  private final Duration requestTimeout;
  private final HttpClient http;
  private final Clock clock;

  private HttpEdmPlatform(URI imports, String apiKey, Duration requestTimeout, HttpClient http, Clock clock) {
    this.imports = imports;
    this.authorization = "Bearer " + apiKey;
    this.requestTimeout = requestTimeout;
    this.http = http;
    this.clock = clock;
  }

  /**
   * The platform {@code settings} name, or, when none is configured (no base URL or no API key), one that refuses
   * every call with the reason: the node still starts and ingests, and a booking's upload fails saying what to set.
   */
  public static EdmPlatform orUnconfigured(EdmSettings settings) {
    if (settings.configured()) return create(settings);
    String reason = "no EDM platform is configured: set audience.bookings.edm.base-url (AUDIENCE_EDM_BASE_URL) and "
        + "the API key (AUDIENCE_EDM_API_KEY)";
    return new EdmPlatform() {
      @Override
      public CompletionStage<String> createImport(String tag, List<Profile> profiles) {
        return java.util.concurrent.CompletableFuture.failedFuture(new Refused(reason));
      }

      @Override
      public CompletionStage<ImportJob> job(String jobId) {
        return java.util.concurrent.CompletableFuture.failedFuture(new Refused(reason));
      }

      @Override
      public CompletionStage<java.util.Optional<ImportJob>> findByTag(String tag) {
        return java.util.concurrent.CompletableFuture.failedFuture(new Refused(reason));
      }
    };
  }

  /**
   * A client of the platform that {@code settings} name.
   *
   * @throws IllegalArgumentException when no base URL or no API key is configured
   */
  public static HttpEdmPlatform create(EdmSettings settings) {
    if (settings.baseUrl().isEmpty()) {
      throw new IllegalArgumentException("audience.bookings.edm.base-url is not set");
    }
    if (settings.apiKey().isEmpty()) {
      throw new IllegalArgumentException("audience.bookings.edm.api-key is not set (AUDIENCE_EDM_API_KEY)");
    }
    String base = settings.baseUrl().replaceAll("/+$", "");
    HttpClient http = HttpClient.newBuilder()
        .connectTimeout(settings.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    return new HttpEdmPlatform(URI.create(base + IMPORTS_PATH), settings.apiKey(), settings.requestTimeout(), http,
        Clock.systemUTC());
  }

  @Override
  public CompletionStage<String> createImport(String tag, List<Profile> profiles) {
    String what = "create import (tag " + tag + ")";
    byte[] body = importBody(tag, profiles);
    HttpRequest request = request(imports).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    return call(what, request, response -> {
      JsonNode jobId = parse(what, response.body()).get("jobId");
      if (jobId == null || !jobId.isTextual() || jobId.asText().isEmpty()) {
        throw new Unavailable(what + ": the platform's answer has no jobId");
      }
      log.debug("EDM: {} of {} profiles: job {}", what, profiles.size(), jobId.asText());
      return jobId.asText();
    });
  }

  @Override
  public CompletionStage<ImportJob> job(String jobId) {
    String what = "poll job " + jobId;
    HttpRequest request = request(URI.create(imports + "/" + encode(jobId))).GET().build();
    return call(what, request, response -> parseJob(what, response.body()));
  }

  @Override
  public CompletionStage<Optional<ImportJob>> findByTag(String tag) {
    String what = "find job by tag " + tag;
    HttpRequest request = request(URI.create(imports + "?tag=" + encode(tag))).GET().build();
    return call(what, request, response -> response.statusCode() == NOT_FOUND
        ? Optional.empty() : Optional.of(parseJob(what, response.body())), NOT_FOUND);
  }

  private HttpRequest.Builder request(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(requestTimeout).header("Authorization", authorization)
        .header("Accept", "application/json");
  }

  /**
   * Sends {@code request} and reads a 2xx answer (or one of {@code alsoOk}) with {@code read}; anything else fails
   * with the {@link EdmException} it stands for.
   */
  private <T> CompletionStage<T> call(String what, HttpRequest request, Function<HttpResponse<String>, T> read,
                                      int... alsoOk) {
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
        .handle((response, error) -> {
          if (error != null) {
            throw failure(what, unwrap(error));
          }
          int status = response.statusCode();
          for (int ok : alsoOk) {
            if (status == ok) {
              return read.apply(response);
            }
          }
          if (status < FIRST_SUCCESS || status >= FIRST_REDIRECT) {
            throw failure(what, status, response.headers().firstValue("Retry-After"), clock);
          }
          return read.apply(response);
        })
        .exceptionallyCompose(e -> CompletableFuture.failedFuture(unwrap(e)));
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  /** A call that got no answer: a timeout, a refused or dropped connection. */
  static EdmException failure(String what, Throwable error) {
    if (error instanceof EdmException edm) {
      return edm;
    }
    log.debug("EDM: {} got no answer: {}", what, error.toString());
    return new Unavailable(what + ": no answer (" + error.getClass().getSimpleName()
        + (error.getMessage() == null ? "" : ": " + error.getMessage()) + ")");
  }

  /** What an answer other than 2xx stands for; the answer's body is left out, as it may quote a row. */
  static EdmException failure(String what, int status, Optional<String> retryAfter, Clock clock) {
    log.debug("EDM: {} answered HTTP {}", what, status);
    if (status == TOO_MANY_REQUESTS) {
      return new RateLimited(retryAfter(retryAfter, clock));
    }
    if (status >= FIRST_SERVER_ERROR) {
      return new Unavailable(what + ": HTTP " + status);
    }
    return new Refused(what + ": HTTP " + status + (status >= FIRST_CLIENT_ERROR ? "" : " (not an answer of the contract)"));
  }

  /**
   * {@code Retry-After} as seconds or as an HTTP date (RFC 9110); {@link #DEFAULT_RETRY_AFTER} when missing or
   * unreadable, never negative.
   */
  static Duration retryAfter(Optional<String> header, Clock clock) {
    if (header.isEmpty() || header.get().isBlank()) {
      return DEFAULT_RETRY_AFTER;
    }
    String value = header.get().trim();
    try {
      long seconds = Long.parseLong(value);
      return seconds < 0 ? DEFAULT_RETRY_AFTER : Duration.ofSeconds(seconds);
    } catch (NumberFormatException notSeconds) {
      try {
        Duration until = Duration.between(clock.instant(),
            ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        return until.isNegative() ? Duration.ZERO : until;
      } catch (DateTimeParseException notADate) {
        return DEFAULT_RETRY_AFTER;
      }
    }
  }

  static byte[] importBody(String tag, List<Profile> profiles) {
    ObjectNode root = JSON.createObjectNode().put("tag", tag);
    ArrayNode rows = root.putArray("profiles");
    for (Profile p : profiles) {
      rows.addObject().put("memberId", p.memberId()).put("email", p.email()).put("suburb", p.suburb())
          .put("state", p.state());
    }
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write an import of tag " + tag + " as JSON", e);
    }
  }

  /** A job as {@code GET /v1/imports/...} answers it; an answer not of that shape is {@link Unavailable}. */
  static ImportJob parseJob(String what, String body) {
    JsonNode j = parse(what, body);
    Status status;
    try {
      status = Status.valueOf(j.path("status").asText().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new Unavailable(what + ": the platform's answer has no known status");
    }
    List<RowError> errors = new ArrayList<>();
    for (JsonNode e : j.path("errors")) {
      errors.add(new RowError(e.path("memberId").asText(), e.path("reason").asText()));
    }
    return new ImportJob(j.path("jobId").asText(), j.path("tag").asText(), status, j.path("imported").asLong(),
        j.path("rejected").asLong(), List.copyOf(errors));
  }

  private static JsonNode parse(String what, String body) {
    try {
      JsonNode node = JSON.readTree(body);
      if (node == null || !node.isObject()) {
        throw new Unavailable(what + ": the platform's answer is not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new Unavailable(what + ": the platform's answer is not JSON");
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The endpoint alone: never the API key. */
  @Override
  public String toString() {
    return "HttpEdmPlatform[" + imports + "]";
  }
}
