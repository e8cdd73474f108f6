package audience.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One caller of {@code POST /graphql}: one bearer token and its own {@link HttpClient} on HTTP/1.1. Used by one
 * thread with one request in flight, its client keeps exactly one connection open (reused, keep-alive): N clients
 * are N connections.
 */
final class ApiClient {
  /** How long opening the connection may take. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int HTTP_OK = 200;

  private final HttpClient http;
  private final URI endpoint;
  private final String authorization;
  private final Duration timeout;

  /**
   * @param endpoint the service's {@code /graphql}
   * @param timeout the most one request may take, from sending it to the end of its answer
   */
  ApiClient(URI endpoint, String token, Duration timeout) {
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
    this.endpoint = endpoint;
    this.authorization = "Bearer " + token;
    this.timeout = timeout;
  }

  /** An answer: its status, its body, and how long from sending the request to the last byte of the body. */
  record Reply(int status, byte[] body, long nanos) {
    JsonNode json() {
      try {
        return body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
      } catch (IOException notJson) {
        return JSON.createObjectNode().put("unreadable", new String(body, StandardCharsets.UTF_8));
      }
    }
  }

  /** The request body of {@code document} with {@code variables} (null: none). */
  static byte[] body(String document, ObjectNode variables) {
    ObjectNode request = JSON.createObjectNode().put("query", document);
    if (variables != null) request.set("variables", variables);
    try {
      return JSON.writeValueAsBytes(request);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write a GraphQL request: " + e.getMessage(), e);
    }
  }

  static ObjectNode variables() {
    return JSON.createObjectNode();
  }

  /** POSTs a request body (see {@link #body}); timed from the send to the body read in full. */
  Reply post(byte[] body) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(timeout)
        .header("Content-Type", "application/json").header("Authorization", authorization)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    long t0 = System.nanoTime();
    HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    return new Reply(r.statusCode(), r.body(), System.nanoTime() - t0);
  }

  /** The {@code data} of an operation that must succeed (set-up); IllegalStateException with the answer if not. */
  JsonNode data(String document, ObjectNode variables) throws IOException, InterruptedException {
    Reply r = post(body(document, variables));
    JsonNode answer = r.json();
    if (r.status() != HTTP_OK || answer.path("errors").isArray() && !answer.path("errors").isEmpty()) {
      throw new IllegalStateException("POST /graphql answered " + r.status() + " " + answer + " to " + document);
    }
    return answer.path("data");
  }
}
