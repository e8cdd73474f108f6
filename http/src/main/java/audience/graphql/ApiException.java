package audience.graphql;

/** A refusal a data fetcher or a limit raises: answered as a GraphQL error with its code, never a stack trace. */
public final class ApiException extends RuntimeException {
  private final ErrorCode code;

  public ApiException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
