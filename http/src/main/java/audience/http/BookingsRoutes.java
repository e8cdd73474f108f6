package audience.http;

import audience.auth.Caller;
import audience.bookings.Bookings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * Bookings, for operators and the CLI:
 * <pre>
 * GET  /ops/bookings?status=S&amp;segment=ID   bookings from the read model
 * POST /ops/bookings                          {"segmentId", "campaign", "sendDate": "YYYY-MM-DD", "requestedBy"?}
 *                                             (requestedBy: the caller's token subject unless given)
 * GET  /ops/bookings/{id}                     one booking as its entity has it (lifecycle, chunks, counts)
 * POST /ops/bookings/{id}/cancel              before its upload starts
 * POST /ops/bookings/run-creator              the booking creator, now
 * </pre>
 * 400 for a malformed request (naming the field), 404 for an unknown booking, 409 for a refused transition with
 * its reason (a past send date, a date already booked, a retired segment, a cancel after the upload started).
 */
public final class BookingsRoutes extends AllDirectives {
  private static final Pattern BOOKING_ID = Pattern.compile("b-[0-9a-f]{20}");
  private static final int MAX_TEXT = 200;
  private final Bookings bookings;
  private final ObjectMapper json = JsonSupport.mapper();

  public BookingsRoutes(Bookings bookings) {
    this.bookings = bookings;
  }

  /** The routes for {@code caller}, who books unless the body names another requester. */
  public Route routes(Caller caller) {
    return pathPrefix("ops", () -> pathPrefix("bookings", () -> concat(
        pathEnd(() -> concat(
            get(() -> parameterOptional("status", status -> parameterOptional("segment", segment ->
                reply(bookings.list(status, segment), StatusCodes.OK)))),
            post(() -> entity(org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller.entityToString(),
                body -> book(body, caller))))),
        path("run-creator", () -> post(() -> reply(bookings.runCreator(), StatusCodes.OK))),
        pathPrefix(PathMatchers.segment(), id -> !BOOKING_ID.matcher(id).matches()
            ? complete(JsonSupport.error(json, StatusCodes.BAD_REQUEST, "not a booking id (b- and 20 hex digits)"))
            : concat(
                pathEnd(() -> get(() -> reply(bookings.get(id), StatusCodes.OK))),
                path("cancel", () -> post(() -> reply(bookings.cancel(id), StatusCodes.OK))))))));
  }

  private Route book(String body, Caller caller) {
    JsonNode req;
    try {
      req = json.readTree(body);
    } catch (Exception e) {
      return bad("the body is not JSON: expected {\"segmentId\", \"campaign\", \"sendDate\"}");
    }
    if (req == null || !req.isObject()) return bad("the body must be a JSON object");
    Optional<String> segment = text(req, "segmentId");
    Optional<String> campaign = text(req, "campaign");
    Optional<String> date = text(req, "sendDate");
    if (segment.isEmpty()) return bad("segmentId is required (a segment id, e.g. from GET /ops/segments)");
    if (campaign.isEmpty()) return bad("campaign is required (1 to " + MAX_TEXT + " characters)");
    if (date.isEmpty()) return bad("sendDate is required (YYYY-MM-DD)");
    LocalDate sendDate;
    try {
      sendDate = LocalDate.parse(date.get());
    } catch (DateTimeParseException e) {
      return bad("sendDate must be a date as YYYY-MM-DD");
    }
    String by = text(req, "requestedBy").orElse(caller.subject());
    return reply(bookings.book(segment.get(), campaign.get(), sendDate, by), StatusCodes.CREATED);
  }

  /** A non-blank string field of at most {@link #MAX_TEXT} characters. */
  private static Optional<String> text(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isTextual() || n.asText().isBlank() || n.asText().length() > MAX_TEXT) return Optional.empty();
    return Optional.of(n.asText().strip());
  }

  private Route bad(String message) {
    return complete(JsonSupport.error(json, StatusCodes.BAD_REQUEST, message));
  }

  private <T> Route reply(CompletionStage<T> result, StatusCode ok) {
    return onComplete(result, t -> {
      if (t.isSuccess()) return complete(JsonSupport.response(json, ok, t.get()));
      Throwable e = t.failed().get() instanceof CompletionException c && c.getCause() != null ? c.getCause()
          : t.failed().get();
      if (e instanceof NoSuchElementException) {
        return complete(JsonSupport.error(json, StatusCodes.NOT_FOUND, e.getMessage()));
      }
      if (e instanceof StatusReply.ErrorMessage) {
        return complete(JsonSupport.error(json, StatusCodes.CONFLICT, e.getMessage()));
      }
      return complete(JsonSupport.error(json, StatusCodes.INTERNAL_SERVER_ERROR, e.toString()));
    });
  }
}
