package audience.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;

/**
 * The GraphQL operations of {@code ./audience bench api} (docs/benchmarks.md, "API"): the mix's four and the
 * baseline's trivial query, each with its document and what makes its answer an error.
 */
enum ApiOperation {
  /** A page of 50 segments of the latest generation with their metadata fields (no bookings). */
  SEGMENTS_PAGE("segments_page", "segments", """
      query($first: Int, $after: String) { segments(first: $first, after: $after) { totalCount generationId
        edges { cursor node { id generationId state suburb intent propertyType priceBand audience metadataKey
          checksum bytes sourceRunId generatedAt status } }
        pageInfo { hasNextPage endCursor } } }"""),
  /** One booking's detail: its row, its history (the segment entity's) and its segment. */
  BOOKING("booking", "booking", """
      query($id: ID!) { booking(id: $id) { id segmentId campaign sendDate requestedBy status createdAt updatedAt
        attempts lastError members imported rejected history { status at } segment { id audience status } } }"""),
  /** Books a (segment, send date) pair. */
  BOOK_SEGMENT("book_segment", "bookSegment", """
      mutation($in: BookSegmentInput!) { bookSegment(input: $in) {
        booking { id status sendDate } error { code message } } }"""),
  /** Cancels the connection's live booking. */
  CANCEL_BOOKING("cancel_booking", "cancelBooking", """
      mutation($id: ID!) { cancelBooking(id: $id) { booking { id status } error { code message } } }"""),
  /** The baseline: auth, the limits, parsing and executing a field that reads nothing. */
  ME("me", "me", "{ me { subject } }");

  /** The code of an answer whose body has no {@code extensions.code} in its first error. */
  static final String GRAPHQL_ERROR = "GRAPHQL_ERROR";
  /** An answer without the operation's field. */
  static final String NO_DATA = "NO_DATA";
  /** A segments page without a segment (the bench only asks pages it was given cursors for). */
  static final String EMPTY_PAGE = "EMPTY_PAGE";
  /** A booking detail that answered null: the booking is not (yet) in the bookings read model. */
  static final String NOT_FOUND = "NOT_FOUND";
  /** A mutation's payload with neither a booking nor an error. */
  static final String NO_BOOKING = "NO_BOOKING";
  private static final int HTTP_OK = 200;

  private final String wire;
  private final String field;
  private final String document;

  ApiOperation(String wire, String field, String document) {
    this.wire = wire;
    this.field = field;
    this.document = document;
  }

  /** Its name in the result JSON. */
  String wire() {
    return wire;
  }

  /** Its top-level field: where its answer is under {@code data}. */
  String field() {
    return field;
  }

  String document() {
    return document;
  }

  /**
   * Why an answer is an error, empty when it is not: the first GraphQL error's {@code extensions.code} (the HTTP
   * status too when not 200), {@code HTTP_<status>} for a non-200 answer without one, the domain error's code of a
   * mutation's payload, and the operation's own checks (a page with segments, a booking found, a subject).
   */
  Optional<String> error(int status, JsonNode body) {
    JsonNode errors = body.path("errors");
    if (errors.isArray() && !errors.isEmpty()) {
      String code = errors.get(0).path("extensions").path("code").asText(GRAPHQL_ERROR);
      return Optional.of(status == HTTP_OK ? code : code + "_" + status);
    }
    if (status != HTTP_OK) return Optional.of("HTTP_" + status);
    JsonNode answer = body.path("data").path(field);
    if (answer.isMissingNode()) return Optional.of(NO_DATA);
    return switch (this) {
      case SEGMENTS_PAGE -> answer.path("edges").isEmpty() ? Optional.of(EMPTY_PAGE) : Optional.empty();
      case BOOKING -> answer.isNull() ? Optional.of(NOT_FOUND) : Optional.empty();
      case BOOK_SEGMENT, CANCEL_BOOKING -> payloadError(answer);
      case ME -> answer.path("subject").asText("").isEmpty() ? Optional.of(NO_DATA) : Optional.empty();
    };
  }

  /** The booking id in a mutation's answer, empty when there is none (see {@link #error}). */
  Optional<String> bookingId(JsonNode body) {
    String id = body.path("data").path(field).path("booking").path("id").asText("");
    return id.isEmpty() ? Optional.empty() : Optional.of(id);
  }

  private static Optional<String> payloadError(JsonNode payload) {
    JsonNode error = payload.path("error");
    if (error.isObject()) return Optional.of(error.path("code").asText(GRAPHQL_ERROR));
    return payload.path("booking").path("id").asText("").isEmpty() ? Optional.of(NO_BOOKING) : Optional.empty();
  }
}
