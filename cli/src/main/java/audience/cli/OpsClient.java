package audience.cli;

import audience.local.OperatorToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The CLI's side of the /ops endpoints; every request carries the operator's bearer token ({@link OperatorToken}). */
final class OpsClient {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String AUTHORIZATION = "Authorization";
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final ObjectMapper json = new ObjectMapper();
  private final URI base;
  private final OperatorToken token;

  OpsClient(String url, OperatorToken token) {
    this.base = URI.create(url.endsWith("/") ? url : url + "/");
    this.token = token;
  }

  /** A response: status and JSON body. */
  record Reply(int status, JsonNode body) {
    boolean ok() {
      return status / 100 == 2;
    }

    String error() {
      return body.path("error").asText(body.toString());
    }
  }

  Reply get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  Reply post(String path, String body) {
    return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  Reply delete(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).DELETE());
  }

  /** JSON as sent, or plain text (e.g. a 404 for an unknown path) wrapped as {"error": text}. */
  private JsonNode parse(String body) {
    if (body.isBlank()) return json.createObjectNode();
    try {
      return json.readTree(body);
    } catch (IOException notJson) {
      return json.createObjectNode().put("error", body.strip());
    }
  }

  private Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = http.send(request.header(AUTHORIZATION, token.header()).timeout(TIMEOUT).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), parse(r.body()));
    } catch (ConnectException e) {
      throw new IllegalStateException("no service at " + base + " (start it with ./audience up or ./audience serve)");
    } catch (IOException e) {
      throw new IllegalStateException("request to " + base + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
