package audience.ingestion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The "upload complete" message: {@code {"bucket": "...", "prefix": "...", "expectedFiles": 20000,
 * "uploadId": "..."}} (prefix, expectedFiles and uploadId optional), raw or inside an SNS envelope. The run id
 * comes from what stays the same when the message is delivered again: the upload id; else the SNS message id of an
 * envelope; else, for a raw delivery (which hides SNS's id: the SQS message id changes with every redelivery), the
 * message's content (bucket, prefix, expectedFiles). A new upload to the same prefix therefore needs its own upload
 * id. {@code messageId} is null for such raw deliveries; callers that want a new run per message (the /ops route)
 * pass a fresh id.
 */
public final class TriggerMessage {
  private TriggerMessage() {}

  /** The id of a raw message without an upload id: its content (bucket and prefix are hashed beside it). */
  private static final String CONTENT_ID = "content:expected=";

  /** Either a run to start or why the message was refused. */
  public sealed interface Parsed permits Run, Refused {}

  public record Run(RunSpec spec) implements Parsed {}

  public record Refused(String reason) implements Parsed {}

  public static Parsed parse(ObjectMapper json, String body, String messageId, String origin) {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return new Refused("not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) return new Refused("not a JSON object");
    if (root.path("Type").asText().equals("Notification") && root.has("Message")) {
      return parse(json, root.get("Message").asText(), root.path("MessageId").asText(messageId), origin);
    }
    JsonNode bucket = root.get("bucket");
    if (bucket == null || !bucket.isTextual() || bucket.asText().isBlank()) return new Refused("bucket is required (a string)");
    JsonNode prefix = root.get("prefix");
    if (prefix != null && !prefix.isTextual() && !prefix.isNull()) return new Refused("prefix must be a string");
    JsonNode expected = root.get("expectedFiles");
    if (expected != null && !expected.isNull() && (!expected.canConvertToLong() || !expected.isIntegralNumber() || expected.asLong() < 0)) {
      return new Refused("expectedFiles must be a non-negative integer, got " + expected);
    }
    JsonNode upload = root.get("uploadId");
    if (upload != null && !upload.isTextual() && !upload.isNull()) return new Refused("uploadId must be a string");
    String p = prefix == null || prefix.isNull() ? "" : prefix.asText();
    long exp = expected == null || expected.isNull() ? RunSpec.UNKNOWN : expected.asLong();
    boolean hasUpload = upload != null && !upload.isNull() && !upload.asText().isBlank();
    String id = hasUpload ? upload.asText() : messageId != null && !messageId.isBlank() ? messageId
        : CONTENT_ID + exp;
    return new Run(new RunSpec(RunIds.forUpload(bucket.asText(), p, id), bucket.asText(), p, exp, origin));
  }
}
