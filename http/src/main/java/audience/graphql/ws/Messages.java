package audience.graphql.ws;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The messages of the graphql-transport-ws protocol (enisdenjo/graphql-ws PROTOCOL.md): what a client may send, what
 * the server sends, and the parsing of a client's text into one (or the reason it is invalid, which closes 4400).
 */
public final class Messages {
  static final String CONNECTION_INIT = "connection_init";
  static final String CONNECTION_ACK = "connection_ack";
  static final String PING = "ping";
  static final String PONG = "pong";
  static final String SUBSCRIBE = "subscribe";
  static final String NEXT = "next";
  static final String ERROR = "error";
  static final String COMPLETE = "complete";
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private Messages() {}

  /** A message from the client. */
  public sealed interface ClientMessage permits ConnectionInit, ClientPing, ClientPong, Subscribe, ClientComplete {}

  /** Asks for the connection; its payload may carry {@code authorization}. */
  public record ConnectionInit(Map<String, Object> payload) implements ClientMessage {
    public ConnectionInit {
      payload = payload == null ? Map.of() : payload;
    }
  }

  public record ClientPing(Map<String, Object> payload) implements ClientMessage {}

  public record ClientPong(Map<String, Object> payload) implements ClientMessage {}

  /** An operation to run under {@code id}. */
  public record Subscribe(String id, Operation payload) implements ClientMessage {}

  /** The client stops listening to {@code id}. */
  public record ClientComplete(String id) implements ClientMessage {}

  /** A GraphQL request. */
  public record Operation(String query, String operationName, Map<String, Object> variables) {
    public Operation {
      variables = variables == null ? Map.of() : variables;
    }
  }

  /** A message from the server. */
  public sealed interface ServerMessage permits ConnectionAck, ServerPing, ServerPong, OperationMessage {}

  public record ConnectionAck() implements ServerMessage {}

  public record ServerPing() implements ServerMessage {}

  /** Answers a ping, with its payload (null: none). */
  public record ServerPong(Map<String, Object> payload) implements ServerMessage {}

  /** A message about one operation: a result, its errors, or its end. */
  public sealed interface OperationMessage extends ServerMessage permits Next, Error, Complete {
    String id();
  }

  /** One execution result as the GraphQL spec shapes it ({@code data}, {@code errors}). */
  public record Next(String id, Map<String, Object> payload) implements OperationMessage {}

  /** The operation failed: its GraphQL errors; nothing follows. */
  public record Error(String id, List<Map<String, Object>> payload) implements OperationMessage {}

  /** The operation is done. */
  public record Complete(String id) implements OperationMessage {}

  /** A client's text: its message, or why it is not one. */
  public sealed interface Parsed permits Valid, Invalid {}

  public record Valid(ClientMessage message) implements Parsed {}

  public record Invalid(String reason) implements Parsed {}

  /** Parses a client's text as the protocol requires; anything else is {@link Invalid} with the reason. */
  public static Parsed parse(ObjectMapper json, String text) {
    JsonNode n;
    try {
      n = json.readTree(text);
    } catch (Exception e) {
      return new Invalid("Invalid message received: not JSON");
    }
    if (n == null || !n.isObject()) return new Invalid("Invalid message received: not a JSON object");
    JsonNode type = n.get("type");
    if (type == null || !type.isTextual()) return new Invalid("Invalid message received: no type");
    Optional<Map<String, Object>> payload = object(json, n.get("payload"));
    boolean payloadOk = n.get("payload") == null || n.get("payload").isNull() || payload.isPresent();
    switch (type.asText()) {
      case CONNECTION_INIT:
        return payloadOk ? new Valid(new ConnectionInit(payload.orElse(null)))
            : new Invalid("Invalid message received: connection_init payload must be an object");
      case PING:
        return payloadOk ? new Valid(new ClientPing(payload.orElse(null)))
            : new Invalid("Invalid message received: ping payload must be an object");
      case PONG:
        return payloadOk ? new Valid(new ClientPong(payload.orElse(null)))
            : new Invalid("Invalid message received: pong payload must be an object");
      case SUBSCRIBE:
        return subscribe(json, n);
      case COMPLETE:
        return id(n).<Parsed>map(id -> new Valid(new ClientComplete(id)))
            .orElse(new Invalid("Invalid message received: complete needs an id"));
      case CONNECTION_ACK:
      case NEXT:
      case ERROR:
        return new Invalid("Invalid message received: a client may not send " + type.asText());
      default:
        return new Invalid("Invalid message received: unknown type");
    }
  }

  private static Parsed subscribe(ObjectMapper json, JsonNode n) {
    Optional<String> id = id(n);
    if (id.isEmpty()) return new Invalid("Invalid message received: subscribe needs an id");
    JsonNode p = n.get("payload");
    if (p == null || !p.isObject() || !p.path("query").isTextual()) {
      return new Invalid("Invalid message received: subscribe needs a payload with a query");
    }
    JsonNode op = p.get("operationName");
    if (op != null && !op.isNull() && !op.isTextual()) {
      return new Invalid("Invalid message received: operationName must be a string");
    }
    JsonNode vars = p.get("variables");
    if (vars != null && !vars.isNull() && !vars.isObject()) {
      return new Invalid("Invalid message received: variables must be an object");
    }
    JsonNode ext = p.get("extensions");
    if (ext != null && !ext.isNull() && !ext.isObject()) {
      return new Invalid("Invalid message received: extensions must be an object");
    }
    return new Valid(new Subscribe(id.get(), new Operation(p.get("query").asText(),
        op == null || op.isNull() ? null : op.asText(), object(json, vars).orElse(null))));
  }

  private static Optional<String> id(JsonNode n) {
    JsonNode id = n.get("id");
    return id != null && id.isTextual() && !id.asText().isEmpty() ? Optional.of(id.asText()) : Optional.empty();
  }

  private static Optional<Map<String, Object>> object(ObjectMapper json, JsonNode n) {
    return n != null && n.isObject() ? Optional.of(json.convertValue(n, MAP)) : Optional.empty();
  }

  /** The server message as the protocol's JSON. */
  public static String render(ObjectMapper json, ServerMessage m) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (m instanceof ConnectionAck) {
      out.put("type", CONNECTION_ACK);
    } else if (m instanceof ServerPing) {
      out.put("type", PING);
    } else if (m instanceof ServerPong p) {
      out.put("type", PONG);
      if (p.payload() != null) out.put("payload", p.payload());
    } else if (m instanceof Next x) {
      out.put("id", x.id());
      out.put("type", NEXT);
      out.put("payload", x.payload());
    } else if (m instanceof Error x) {
      out.put("id", x.id());
      out.put("type", ERROR);
      out.put("payload", x.payload());
    } else if (m instanceof Complete x) {
      out.put("id", x.id());
      out.put("type", COMPLETE);
    } else {
      throw new IllegalStateException("unknown server message " + m);
    }
    try {
      return json.writeValueAsString(out);
    } catch (Exception e) {
      throw new IllegalStateException("cannot render a " + out.get("type") + " message", e);
    }
  }
}
