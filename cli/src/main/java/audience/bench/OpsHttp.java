package audience.bench;

import audience.config.Settings;
import audience.local.OperatorToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The benchmark's side of the service's /ops endpoints; I/O failures surface as {@link IOException}. Every request
 * carries an operator's bearer token: by default one minted with the local profile's key (the benchmarks start
 * their own local service, which verifies with the same key).
 */
final class OpsHttp {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String AUTHORIZATION = "Authorization";
  private static final String SUBJECT = "bench:" + System.getProperty("user.name", "unknown");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final OperatorToken token;

  /** With an operator token minted with the local profile's key. */
  OpsHttp() {
    this(OperatorToken.minted(Settings.load(Map.of("audience.profile", Settings.PROFILE_LOCAL)), SUBJECT));
  }

  OpsHttp(OperatorToken token) {
    this.token = token;
  }

  record Reply(int status, JsonNode body) {
    boolean ok() {
      return status / 100 == 2;
    }
  }

  Reply get(String url) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(url)).GET());
  }

  Reply post(String url, String body) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** GETs {@code url}'s body; {@code before} when it does not answer 2xx or in time (a busy service: look again). */
  JsonNode readOr(String url, JsonNode before) throws InterruptedException {
    try {
      Reply r = get(url);
      return r.ok() ? r.body() : before;
    } catch (IOException busy) {
      return before;
    }
  }

  private Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request.header(AUTHORIZATION, token.header()).timeout(TIMEOUT).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body().isEmpty() ? json.createObjectNode() : json.readTree(r.body()));
  }
}
