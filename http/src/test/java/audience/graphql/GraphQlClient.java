package audience.graphql;

import audience.testkit.Http;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A test client of /graphql: status, headers and parsed body of each answer. */
final class GraphQlClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Http http = new Http(""); // tokenless: each request carries the token it is given
  private final String url;

  GraphQlClient(String base) {
    this.url = base + "/graphql";
  }

  record Reply(int status, HttpResponse<String> raw, JsonNode body) {
    /** The code of the first error, "" when none. */
    String code() {
      return body.path("errors").path(0).path("extensions").path("code").asText("");
    }

    JsonNode data() {
      return body.path("data");
    }

    @Override
    public String toString() {
      return status + " " + raw.body();
    }
  }

  static String body(String query, Map<String, Object> variables) {
    try {
      return JSON.writeValueAsString(Map.of("query", query, "variables", variables));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Reply post(String token, String query) {
    return post(token, query, Map.of());
  }

  Reply post(String token, String query, Map<String, Object> variables) {
    return raw(token, body(query, variables), Map.of());
  }

  Reply raw(String token, String body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    if (token != null) b.header("Authorization", "Bearer " + token);
    return send(b);
  }

  Reply get(String token, String query) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "?query="
        + URLEncoder.encode(query, StandardCharsets.UTF_8))).GET();
    if (token != null) b.header("Authorization", "Bearer " + token);
    return send(b);
  }

  private Reply send(HttpRequest.Builder request) {
    Http.Reply r = http.send(request);
    return new Reply(r.status(), r.response(), r.body());
  }

  /** A selection nested {@code levels} times through Segment.bookings and Booking.segment. */
  static String depthBomb(int levels) {
    StringBuilder q = new StringBuilder("{ segments(first: 1) { edges { node { id ");
    StringBuilder close = new StringBuilder("} } } }");
    for (int i = 0; i < levels; i++) {
      q.append("bookings(first: 1) { edges { node { segment { id ");
      close.append("} } } }");
    }
    return q.append(close).toString();
  }

  /** Shallow, but asks 100 bookings of each of 100 segments, each with its segment's 100 bookings. */
  static String complexityBomb() {
    return "{ segments(first: 100) { edges { node { id bookings(first: 100) { edges { node { id segment { "
        + "bookings(first: 100) { totalCount } } } } } } } } }";
  }

  /** {@code n} aliases of one field. */
  static String aliases(int n) {
    StringBuilder q = new StringBuilder("{ ");
    for (int i = 0; i < n; i++) q.append('a').append(i).append(":__typename ");
    return q.append('}').toString();
  }
}
