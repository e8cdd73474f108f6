package audience.graphql;

/**
 * The stable codes of the API's errors (docs/api.md), in {@code extensions.code} of a GraphQL error, with the HTTP
 * status a request answers when the error stops the whole request.
 */
public enum ErrorCode {
  UNAUTHENTICATED(401),
  FORBIDDEN(403),
  ORIGIN_NOT_ALLOWED(403),
  RATE_LIMITED(429),
  /** A WebSocket connection runs audience.api.subscriptions.max-per-connection operations already. */
  TOO_MANY_SUBSCRIPTIONS(429),
  BODY_TOO_LARGE(413),
  BAD_REQUEST(400),
  METHOD_NOT_ALLOWED(405),
  PARSE_ERROR(400),
  PARSER_LIMIT(400),
  VALIDATION_FAILED(400),
  TOO_DEEP(400),
  TOO_COMPLEX(400),
  TOO_MANY_ALIASES(400),
  BATCH_TOO_LARGE(400),
  INTROSPECTION_DISABLED(400),
  INVALID_ARGUMENT(400),
  INVALID_CURSOR(400),
  NOT_FOUND(404),
  TIMEOUT(503),
  UNAVAILABLE(503),
  INTERNAL(500);

  private final int httpStatus;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
