package audience.devstack;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Changes the fault proxy's rules of a running devstack at run time, through its control endpoint
 * ({@code POST/GET/DELETE /faults}, see devstack/README.md). Get one from {@link DevStack#faults()}, or from
 * {@link #at(URI)} with the {@code faults} URL of an endpoints.json.
 */
public final class Faults {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The control endpoint is in the devstack JVM on loopback: it answers at once or not at all. */
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int OK = 200;

  private final URI control;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  private Faults(URI control) {
    this.control = control;
  }

  /** A client of the control endpoint at {@code control} (e.g. {@code http://127.0.0.1:P/faults}). */
  public static Faults at(URI control) {
    return new Faults(control);
  }

  /** The control endpoint. */
  public URI endpoint() {
    return control;
  }

  /** Puts {@code rules} in force, replacing all others, and starts the counts afresh. */
  public void set(FaultRules rules) {
    call(HttpRequest.newBuilder(control).POST(HttpRequest.BodyPublishers.ofString(rules.toJson())));
  }

  /** No rules: every request passes unchanged. */
  public void clear() {
    call(HttpRequest.newBuilder(control).DELETE());
  }

  /** The rules in force. */
  public FaultRules rules() {
    return FaultRules.fromJson(call(HttpRequest.newBuilder(control).GET()).get("rules").toString());
  }

  /** What the rules did since they were set. */
  public FaultCounts counts() {
    try {
      return JSON.treeToValue(call(HttpRequest.newBuilder(control).GET()).get("counts"), FaultCounts.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable counts from " + control + ": " + e.getOriginalMessage(), e);
    }
  }

  private JsonNode call(HttpRequest.Builder request) {
    HttpResponse<String> response;
    try {
      response = http.send(request.timeout(TIMEOUT).header("Content-Type", "application/json").build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("the fault control endpoint " + control + " does not answer: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while calling " + control, e);
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("not JSON from " + control + ": " + response.body(), e);
    }
    if (response.statusCode() != OK) {
      throw new IllegalArgumentException("fault rules refused (HTTP " + response.statusCode() + "): "
          + body.path("error").asText(response.body()));
    }
    return body;
  }
}
