package audience.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sandbox's HTTP answers that need no waiting (an in-process sandbox, no devstack): authentication, limits,
 * validation, scripted answers, and its control client. Jobs completing is in EdmPlatformIT (http module).
 */
class EdmSandboxHttpTest {
  private static final String KEY = "unit-test-key";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Long enough that a job stays queued for the whole test. */
  private static final Duration NEVER = Duration.ofHours(1);

  private EdmSandbox sandbox;
  private EdmSandboxClient control;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws IOException {
    sandbox = EdmSandbox.start(KEY);
    control = EdmSandboxClient.at(sandbox.endpoint());
    control.completionDelay(NEVER);
  }

  @AfterEach
  void stop() {
    sandbox.close();
  }

  private static String body(String tag, int profiles) {
    ObjectNode root = JSON.createObjectNode().put("tag", tag);
    ArrayNode rows = root.putArray("profiles");
    for (int i = 0; i < profiles; i++) {
      rows.addObject().put("memberId", "m" + i).put("email", "m" + i + "@example.test").put("suburb", "Bondi")
          .put("state", "NSW");
    }
    return root.toString();
  }

  private HttpResponse<String> post(String key, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(sandbox.endpoint().resolve(EdmSandbox.API_PATH))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(sandbox.endpoint() + pathAndQuery))
        .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aJobIsAcceptedQueuedAndFoundByItsTag() throws Exception {
    HttpResponse<String> created = post(KEY, body("booking-1/chunk-0", 3));
    assertThat(created.statusCode()).isEqualTo(202);
    String jobId = JSON.readTree(created.body()).get("jobId").asText();

    JsonNode polled = JSON.readTree(get(EdmSandbox.API_PATH + "/" + jobId).body());
    assertThat(polled.get("status").asText()).isEqualTo("queued");
    assertThat(polled.get("tag").asText()).isEqualTo("booking-1/chunk-0");
    HttpResponse<String> found = get(EdmSandbox.API_PATH + "?tag=booking-1%2Fchunk-0");
    assertThat(JSON.readTree(found.body()).get("jobId").asText()).isEqualTo(jobId);
    assertThat(get(EdmSandbox.API_PATH + "?tag=other").statusCode()).isEqualTo(404);
    assertThat(get(EdmSandbox.API_PATH + "/no-such-job").statusCode()).isEqualTo(404);
    assertThat(control.jobs()).extracting(EdmSandboxClient.Job::profiles).containsExactly(3);
    assertThat(control.calls()).isEqualTo(Map.of("create", 1, "poll", 2, "find", 2));
  }

  @Test
  void aMissingOrWrongKeyIs401AndNothingIsCreated() throws Exception {
    HttpResponse<String> none = post(null, body("t", 1));
    HttpResponse<String> wrong = post("not-" + KEY, body("t", 1));

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().firstValue("WWW-Authenticate")).contains("Bearer");
    assertThat(wrong.body()).doesNotContain(KEY);
    assertThat(control.jobs()).isEmpty();
  }

  @Test
  void beyondTheLimitsIs413AndAMalformedBodyIs400() throws Exception {
    assertThat(post(KEY, body("t", EdmSandbox.MAX_PROFILES + 1)).statusCode()).isEqualTo(413);
    String padding = "x".repeat(EdmSandbox.MAX_BODY_BYTES);
    assertThat(post(KEY, "{\"tag\": \"t\", \"pad\": \"" + padding + "\"}").statusCode()).isEqualTo(413);
    assertThat(post(KEY, "{\"profiles\": []}").statusCode()).isEqualTo(400);
    assertThat(post(KEY, "{\"tag\": \"t\", \"profiles\": []}").statusCode()).isEqualTo(400);
    assertThat(post(KEY, "not json").statusCode()).isEqualTo(400);
    assertThat(post(KEY, body("t", EdmSandbox.MAX_PROFILES)).statusCode()).isEqualTo(202);
    assertThat(control.jobs()).hasSize(1);
  }

  @Test
  void scriptedAnswersComeInOrderAndThenTheSandboxAnswersAsUsual() throws Exception {
    control.script(EdmSandboxFault.rateLimited(Duration.ofSeconds(7)), EdmSandboxFault.serverError(503),
        EdmSandboxFault.drop());
    assertThat(control.pendingFaults()).hasSize(3);

    HttpResponse<String> limited = post(KEY, body("t", 1));
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("7");
    assertThat(post(KEY, body("t", 1)).statusCode()).isEqualTo(503);
    assertThatThrownBy(() -> post(KEY, body("t", 1))).isInstanceOf(IOException.class);
    assertThat(control.jobs()).isEmpty();
    assertThat(post(KEY, body("t", 1)).statusCode()).isEqualTo(202);
    assertThat(control.pendingFaults()).isEmpty();
  }

  @Test
  void theControlClientRefusesNonsenseAndResetForgets() throws Exception {
    post(KEY, body("t", 1));
    control.script(EdmSandboxFault.failJob());

    control.reset();

    assertThat(control.jobs()).isEmpty();
    assertThat(control.pendingFaults()).isEmpty();
    assertThat(control.member("m0")).isEmpty();
    assertThatThrownBy(() -> control.completionDelay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("completionDelayMs");
  }
}
