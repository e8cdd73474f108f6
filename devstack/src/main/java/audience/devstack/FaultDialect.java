package audience.devstack;

import audience.devstack.DevStack.Service;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * How one AWS service names its operations and words its errors: what the {@link FaultProxy} needs to match a
 * request to a rule and to answer in the service's own dialect, so that the AWS SDK raises the same exception as
 * for the real service.
 *
 * <ul>
 *   <li>{@link RestXml}: S3. The operation follows from method, path and query; errors are an {@code <Error>}
 *       document (none for HEAD).</li>
 *   <li>{@link AwsJson}: DynamoDB (JSON 1.0), Kinesis (JSON 1.1, or CBOR when the client sends CBOR) and SQS (JSON
 *       1.0, query-compatible). The operation is the action of {@code X-Amz-Target}; errors carry
 *       {@code __type} (and for SQS {@code x-amzn-query-error}, which the SDK prefers as the error code).</li>
 *   <li>{@link AwsQuery}: SNS. The operation is the form's {@code Action}; errors are an {@code <ErrorResponse>}
 *       document.</li>
 * </ul>
 */
sealed interface FaultDialect permits FaultDialect.RestXml, FaultDialect.AwsJson, FaultDialect.AwsQuery {
  int BAD_REQUEST = 400;
  int FORBIDDEN = 403;
  int INTERNAL_ERROR = 500;
  int SERVICE_UNAVAILABLE = 503;

  /**
   * One error the service can answer with.
   *
   * @param code the AWS error code, as rules name it
   * @param retryable whether the SDK and a well-behaved client retry it (throttling and 5xx); a rule applied to
   *     every request uses these, a targeted one may pick a permanent one such as S3's AccessDenied
   * @param sender whether the fault is the client's (SQS's {@code x-amzn-query-error} and SNS's {@code Type} say
   *     Sender or Receiver)
   */
  record AwsError(String code, int status, String message, boolean retryable, boolean sender) {}

  /** An answer the proxy sends itself. */
  record Reply(int status, String reason, Map<String, String> headers, byte[] body) {
    /** The whole answer on the wire; a HEAD request gets the head only (with the length the body would have). */
    byte[] bytes(boolean headRequest) {
      StringBuilder b = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
      headers.forEach((name, value) -> b.append(name).append(": ").append(value).append("\r\n"));
      b.append("Content-Length: ").append(body.length).append("\r\n\r\n");
      byte[] head = b.toString().getBytes(StandardCharsets.ISO_8859_1);
      if (headRequest) return head;
      byte[] all = new byte[head.length + body.length];
      System.arraycopy(head, 0, all, 0, head.length);
      System.arraycopy(body, 0, all, head.length, body.length);
      return all;
    }
  }

  /** The errors this service can answer with; the first is its throttling error, used when a rule names none. */
  List<AwsError> errors();

  /** The operation a request calls, or "" when it cannot tell; {@code body} is null unless {@link #needsBody()}. */
  String operation(HttpWire.Head request, byte[] body);

  /** Whether the operation is in the request body (a form), so the body must be read before a rule is chosen. */
  default boolean needsBody() {
    return false;
  }

  /** The error as this service sends it. */
  Reply render(AwsError error, HttpWire.Head request);

  /** The error named {@code code}. */
  default AwsError error(String code) {
    return errors().stream().filter(e -> e.code().equals(code)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("unknown error \"" + code + "\"; known: " + codes(errors())));
  }

  /** The codes of the errors a client is expected to retry (what a blanket fault rate injects). */
  default List<String> retryableCodes() {
    return codes(errors().stream().filter(AwsError::retryable).toList());
  }

  /** @throws IllegalArgumentException naming the first code this dialect does not have */
  default void requireKnown(List<String> codes) {
    codes.forEach(this::error);
  }

  private static List<String> codes(List<AwsError> errors) {
    return errors.stream().map(AwsError::code).toList();
  }

  /** The dialect of a service. */
  static FaultDialect of(Service service) {
    return switch (service) {
      case S3 -> RestXml.S3;
      case DYNAMODB -> AwsJson.DYNAMODB;
      case KINESIS -> AwsJson.KINESIS;
      case SQS -> AwsJson.SQS;
      case SNS -> AwsQuery.SNS;
    };
  }

  /** A request id in AWS's shape, for the error bodies and headers. */
  private static String requestId() {
    return UUID.randomUUID().toString();
  }

  private static String reason(int status) {
    return switch (status) {
      case BAD_REQUEST -> "Bad Request";
      case FORBIDDEN -> "Forbidden";
      case INTERNAL_ERROR -> "Internal Server Error";
      case SERVICE_UNAVAILABLE -> "Service Unavailable";
      default -> "Error";
    };
  }

  private static String xmlEscape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** S3's REST-XML dialect. */
  record RestXml(List<AwsError> errors) implements FaultDialect {
    static final RestXml S3 = new RestXml(List.of(
        new AwsError("SlowDown", SERVICE_UNAVAILABLE, "Please reduce your request rate.", true, false),
        new AwsError("InternalError", INTERNAL_ERROR, "We encountered an internal error. Please try again.", true,
            false),
        new AwsError("AccessDenied", FORBIDDEN, "Access Denied", false, true)));

    @Override
    public String operation(HttpWire.Head request, byte[] body) {
      String path = request.decodedPath();
      Map<String, String> q = request.query();
      String method = request.method();
      int slash = path.indexOf('/', 1);
      boolean onObject = slash > 0 && slash < path.length() - 1;
      if (path.equals("/")) return method.equals("GET") ? "ListBuckets" : "";
      if (!onObject) {
        return switch (method) {
          case "GET" -> q.containsKey("list-type") ? "ListObjectsV2"
              : q.containsKey("uploads") ? "ListMultipartUploads"
              : q.containsKey("location") ? "GetBucketLocation" : "ListObjects";
          case "PUT" -> "CreateBucket";
          case "DELETE" -> "DeleteBucket";
          case "HEAD" -> "HeadBucket";
          case "POST" -> q.containsKey("delete") ? "DeleteObjects" : "";
          default -> "";
        };
      }
      return switch (method) {
        case "GET" -> q.containsKey("uploadId") ? "ListParts" : "GetObject";
        case "HEAD" -> "HeadObject";
        case "PUT" -> q.containsKey("uploadId") ? "UploadPart"
            : request.header("x-amz-copy-source") != null ? "CopyObject" : "PutObject";
        case "DELETE" -> q.containsKey("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
        case "POST" -> q.containsKey("uploads") ? "CreateMultipartUpload"
            : q.containsKey("uploadId") ? "CompleteMultipartUpload" : "";
        default -> "";
      };
    }

    @Override
    public Reply render(AwsError error, HttpWire.Head request) {
      String id = requestId();
      String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + error.code() + "</Code><Message>"
          + xmlEscape(error.message()) + "</Message><Resource>" + xmlEscape(request.decodedPath())
          + "</Resource><RequestId>" + id + "</RequestId></Error>";
      return new Reply(error.status(), reason(error.status()),
          Map.of("Content-Type", "application/xml", "x-amz-request-id", id),
          xml.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * The AWS JSON dialects.
   *
   * @param typePrefix what precedes the code in {@code __type} (DynamoDB and SQS name their namespace)
   * @param contentType the JSON content type of the service
   * @param queryCompatible whether errors also carry {@code x-amzn-query-error: Code;Sender} (SQS)
   */
  record AwsJson(List<AwsError> errors, String typePrefix, String contentType, boolean queryCompatible)
      implements FaultDialect {
    static final AwsJson DYNAMODB = new AwsJson(List.of(
        new AwsError("ProvisionedThroughputExceededException", BAD_REQUEST,
            "The level of configured provisioned throughput for the table was exceeded. Consider increasing your"
                + " provisioning level with the UpdateTable API.", true, true),
        new AwsError("InternalServerError", INTERNAL_ERROR, "Internal server error", true, false)),
        "com.amazonaws.dynamodb.v20120810#", "application/x-amz-json-1.0", false);
    static final AwsJson KINESIS = new AwsJson(List.of(
        new AwsError("ProvisionedThroughputExceededException", BAD_REQUEST,
            "Rate exceeded for shard in stream.", true, true),
        new AwsError("InternalFailure", INTERNAL_ERROR, "Internal service failure.", true, false)),
        "", "application/x-amz-json-1.1", false);
    static final AwsJson SQS = new AwsJson(List.of(
        new AwsError("RequestThrottled", BAD_REQUEST, "Rate exceeded", true, true),
        new AwsError("InternalError", INTERNAL_ERROR, "We encountered an internal error. Please try again.", true,
            false)),
        "com.amazonaws.sqs#", "application/x-amz-json-1.0", true);
    /** The content type of Kinesis's binary protocol, on by default in the AWS SDK. */
    static final String CBOR = "application/x-amz-cbor-1.1";

    @Override
    public String operation(HttpWire.Head request, byte[] body) {
      String target = request.header("X-Amz-Target");
      return target == null ? "" : target.substring(target.lastIndexOf('.') + 1);
    }

    @Override
    public Reply render(AwsError error, HttpWire.Head request) {
      String type = typePrefix + error.code();
      String id = requestId();
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("x-amzn-RequestId", id);
      // the SDK reads the error code from this header first, before the body
      headers.put("x-amzn-ErrorType", error.code());
      if (queryCompatible) headers.put("x-amzn-query-error", error.code() + (error.sender() ? ";Sender" : ";Receiver"));
      String requestType = request.header("Content-Type");
      byte[] body;
      if (requestType != null && requestType.startsWith(CBOR)) {
        headers.put("Content-Type", CBOR);
        body = Cbor.map(List.of("__type", type, "message", error.message()));
      } else {
        headers.put("Content-Type", contentType);
        body = ("{\"__type\":\"" + type + "\",\"message\":\"" + error.message().replace("\"", "\\\"") + "\"}")
            .getBytes(StandardCharsets.UTF_8);
      }
      return new Reply(error.status(), reason(error.status()), headers, body);
    }
  }

  /**
   * The AWS query dialect.
   *
   * @param namespace the XML namespace of the service's documents
   */
  record AwsQuery(List<AwsError> errors, String namespace) implements FaultDialect {
    static final AwsQuery SNS = new AwsQuery(List.of(
        new AwsError("Throttling", BAD_REQUEST, "Rate exceeded", true, true),
        new AwsError("InternalError", INTERNAL_ERROR, "Internal service error", true, false)),
        "http://sns.amazonaws.com/doc/2010-03-31/");

    @Override
    public boolean needsBody() {
      return true;
    }

    @Override
    public String operation(HttpWire.Head request, byte[] body) {
      String action = request.query().get("Action");
      if (action == null && body != null) {
        action = HttpWire.form(new String(body, StandardCharsets.UTF_8)).get("Action");
      }
      return action == null ? "" : action;
    }

    @Override
    public Reply render(AwsError error, HttpWire.Head request) {
      String id = requestId();
      String xml = "<ErrorResponse xmlns=\"" + namespace + "\"><Error><Type>" + (error.sender() ? "Sender" : "Receiver")
          + "</Type><Code>" + error.code() + "</Code><Message>" + xmlEscape(error.message())
          + "</Message></Error><RequestId>" + id + "</RequestId></ErrorResponse>";
      return new Reply(error.status(), reason(error.status()),
          Map.of("Content-Type", "text/xml", "x-amzn-RequestId", id), xml.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The few CBOR items an error body needs (RFC 8949): a map of text strings. */
  final class Cbor {
    private static final int MAJOR_TEXT = 3 << 5;
    private static final int MAJOR_MAP = 5 << 5;
    /** Lengths below this fit in the initial byte; 24, 25, 26 announce 1, 2, 4 length bytes. */
    private static final int INLINE_MAX = 23;
    private static final int ONE_BYTE = 24;
    private static final int TWO_BYTES = 25;
    private static final int FOUR_BYTES = 26;
    private static final int BYTE_MAX = 0xff;
    private static final int SHORT_MAX = 0xffff;

    private Cbor() {}

    /** A map of the given key, value, key, value... text strings. */
    static byte[] map(List<String> keysAndValues) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      head(out, MAJOR_MAP, keysAndValues.size() / 2);
      for (String s : keysAndValues) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        head(out, MAJOR_TEXT, utf8.length);
        out.writeBytes(utf8);
      }
      return out.toByteArray();
    }

    private static void head(ByteArrayOutputStream out, int major, int length) {
      if (length <= INLINE_MAX) {
        out.write(major | length);
      } else if (length <= BYTE_MAX) {
        out.write(major | ONE_BYTE);
        out.write(length);
      } else if (length <= SHORT_MAX) {
        out.write(major | TWO_BYTES);
        out.write(length >>> Byte.SIZE);
        out.write(length);
      } else {
        out.write(major | FOUR_BYTES);
        for (int shift = 3 * Byte.SIZE; shift >= 0; shift -= Byte.SIZE) out.write(length >>> shift);
      }
    }
  }
}
