package audience.devstack;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Java client of the {@link EdmSandbox}'s control API ({@code /sandbox/...}, see devstack/README.md), for tests:
 * script failures, read back which members were imported and how often, reset. Get one from
 * {@link DevStack#edmSandbox()}, or from {@link #at(URI)} with the {@code edm} URL of an endpoints.json.
 */
public final class EdmSandboxClient {
  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  /** The sandbox is in the devstack JVM on loopback: it answers at once or not at all. */
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int NOT_FOUND = 404;
  private static final int FIRST_ERROR = 400;

  /** A member the sandbox holds: the last profile imported, and by how many completed jobs. */
  public record Member(String memberId, int imports, Profile profile) {}

  /** A profile as the sandbox received it. */
  public record Profile(String memberId, String email, String suburb, String state) {}

  /** A job as the sandbox holds it; {@code status} as on the wire ({@code queued}, ..., {@code failed}). */
  public record Job(String jobId, String tag, String status, int profiles, long imported, long rejected) {}

  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  private EdmSandboxClient(URI base) {
    this.base = base;
  }

  /** A client of the sandbox at {@code base} (e.g. {@code http://127.0.0.1:P}, the {@code edm} endpoint). */
  public static EdmSandboxClient at(URI base) {
    return new EdmSandboxClient(base);
  }

  /** The sandbox's base URL (its API is under {@code /v1}). */
  public URI endpoint() {
    return base;
  }

  /** Forgets every job, member, scripted answer and call count; the completion delay goes back to its default. */
  public void reset() {
    send("POST", "/reset", "");
  }

  /** Appends scripted answers for the next API calls, in order (each taken once, by a call it matches). */
  public void script(EdmSandboxFault... faults) {
    send("POST", "/faults", json(Arrays.asList(faults)));
  }

  /** The scripted answers not taken yet. */
  public List<EdmSandboxFault> pendingFaults() {
    return read(send("GET", "/faults", null).get("pending"), new TypeReference<>() {});
  }

  /** Drops the scripted answers not taken yet. */
  public void clearFaults() {
    send("DELETE", "/faults", null);
  }

  /** Member id to the number of completed jobs that imported it. */
  public Map<String, Integer> importCounts() {
    return read(send("GET", "/members", null), new TypeReference<>() {});
  }

  /** One member, if some job imported it. */
  public Optional<Member> member(String memberId) {
    JsonNode m = sendOrMissing("GET", "/members/" + URLEncoder.encode(memberId, StandardCharsets.UTF_8));
    return m == null ? Optional.empty() : Optional.of(read(m, new TypeReference<>() {}));
  }

  /** Every job since the last reset, in creation order. */
  public List<Job> jobs() {
    return read(send("GET", "/jobs", null), new TypeReference<>() {});
  }

  /** API calls since the last reset, per kind: {@code create}, {@code poll}, {@code find}. */
  public Map<String, Integer> calls() {
    return read(send("GET", "/calls", null), new TypeReference<>() {});
  }

  /** How long a job takes from queued to complete, until the next reset. */
  public void completionDelay(Duration delay) {
    send("POST", "/settings", "{\"completionDelayMs\": " + delay.toMillis() + "}");
  }

  private JsonNode send(String method, String path, String body) {
    return checked(method, path, exchange(method, path, body));
  }

  /** As {@link #send}, but null for a 404. */
  private JsonNode sendOrMissing(String method, String path) {
    HttpResponse<String> response = exchange(method, path, null);
    return response.statusCode() == NOT_FOUND ? null : checked(method, path, response);
  }

  private JsonNode checked(String method, String path, HttpResponse<String> response) {
    if (response.statusCode() >= FIRST_ERROR) {
      throw new IllegalArgumentException("the EDM sandbox refused " + method + " " + path + " (HTTP "
          + response.statusCode() + "): " + response.body());
    }
    return parse(response.body());
  }

  private HttpResponse<String> exchange(String method, String path, String body) {
    URI uri = base.resolve(EdmSandbox.CONTROL_PATH + path);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("the EDM sandbox at " + base + " does not answer: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while calling the EDM sandbox at " + base, e);
    }
  }

  private JsonNode parse(String body) {
    if (body.isEmpty()) {
      return JSON.nullNode();
    }
    try {
      return JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("not JSON from the EDM sandbox at " + base, e);
    }
  }

  private static <T> T read(JsonNode node, TypeReference<T> type) {
    return JSON.convertValue(node, type);
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + value + " as JSON", e);
    }
  }
}
