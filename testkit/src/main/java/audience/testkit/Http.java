package audience.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * A JSON client of the /ops endpoints for tests: status, content type and parsed body of every answer. Every request
 * carries the bearer token the client was made with ({@code Authorization: Bearer <token>}; the /ops routes want an
 * operator's), none for {@link #Http(String)}.
 */
public final class Http {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String AUTHORIZATION = "Authorization";
  private static final String BEARER = "Bearer ";
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final String base;
  private final Optional<String> authorization;

  /** Requests to {@code base} without an {@code Authorization} header (open routes, refusals). */
  public Http(String base) {
    this(base, Optional.empty());
  }

  /** Requests to {@code base} with {@code token} as their bearer token. */
  public Http(String base, String token) {
    this(base, Optional.of(BEARER + token));
  }

  private Http(String base, Optional<String> authorization) {
    this.base = base;
    this.authorization = authorization;
  }

  /** The same service with another bearer token. */
  public Http withToken(String token) {
    return new Http(base, token);
  }

  /** The same service without a token. */
  public Http withoutToken() {
    return new Http(base, Optional.empty());
  }

  /** The same service with {@code Authorization: value} as given (another scheme, garbage). */
  public Http withAuthorization(String value) {
    return new Http(base, Optional.of(value));
  }

  public record Reply(int status, String contentType, String raw, JsonNode body, HttpResponse<String> response) {
    /** A response header's first value, empty when absent. */
    public String header(String name) {
      return response.headers().firstValue(name).orElse("");
    }

    @Override
    public String toString() {
      return status + " " + raw;
    }
  }

  public Reply get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  public Reply post(String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  public Reply delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
  }

  /** Sends any request (its URI absolute), with this client's token when it has one. */
  public Reply send(HttpRequest.Builder request) {
    authorization.ifPresent(value -> request.header(AUTHORIZATION, value));
    try {
      HttpResponse<String> r = client.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
      JsonNode body;
      try {
        body = r.body().isEmpty() ? JSON.missingNode() : JSON.readTree(r.body());
      } catch (IOException notJson) {
        body = JSON.missingNode();
      }
      return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), body, r);
    } catch (IOException e) {
      throw new UncheckedIOException("request to " + base + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
