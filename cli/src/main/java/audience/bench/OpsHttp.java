package audience.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The benchmark's side of the service's /ops endpoints; I/O failures surface as {@link IOException}. */
final class OpsHttp {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper json = new ObjectMapper();

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
    HttpResponse<String> r = http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body().isEmpty() ? json.createObjectNode() : json.readTree(r.body()));
  }
}
