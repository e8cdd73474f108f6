package audience.graphql;

import audience.ingestion.RunConflict;
import org.apache.pekko.pattern.StatusReply;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * A refusal of the domain as a typed error: the entities refuse with a reason in words (BookingRules, the run
 * entity); this gives each a stable code. The reason is the message (no stack trace, no personal data in it).
 * Anything that is not a refusal stays a failure (answered INTERNAL, its detail only logged).
 */
final class DomainErrors {
  /** The code of a booking refusal, by the words BookingRules and SegmentBooking use (tested in DomainErrorsTest). */
  private static final List<Map.Entry<String, DomainCode>> BY_REASON = List.of(
      Map.entry("is in the past", DomainCode.PAST_SEND_DATE),
      Map.entry("is already booked for", DomainCode.ALREADY_BOOKED),
      Map.entry("in the latest generation", DomainCode.UNKNOWN_SEGMENT),
      Map.entry("is retired", DomainCode.RETIRED_SEGMENT),
      Map.entry("did not answer", DomainCode.UNAVAILABLE),
      Map.entry("no booking ", DomainCode.NOT_FOUND));

  /** The schema's ErrorCode. */
  enum DomainCode { PAST_SEND_DATE, ALREADY_BOOKED, UNKNOWN_SEGMENT, RETIRED_SEGMENT, ILLEGAL_TRANSITION, NOT_FOUND,
    INVALID_ARGUMENT, UNAVAILABLE }

  private DomainErrors() {}

  static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) e = e.getCause();
    return e;
  }

  /** The typed error of a refusal, empty for a failure that is not one. */
  static Optional<Views.DomainErrorNode> of(Throwable failure) {
    Throwable e = unwrap(failure);
    if (e instanceof StatusReply.ErrorMessage m) return Optional.of(node(classify(m.getMessage()), m.getMessage()));
    if (e instanceof RunConflict) return Optional.of(node(DomainCode.ILLEGAL_TRANSITION, e.getMessage()));
    if (e instanceof NoSuchElementException) return Optional.of(node(DomainCode.NOT_FOUND, e.getMessage()));
    if (e instanceof IllegalArgumentException) return Optional.of(node(DomainCode.INVALID_ARGUMENT, e.getMessage()));
    if (e instanceof TimeoutException || e.getClass().getSimpleName().equals("AskTimeoutException")) {
      return Optional.of(node(DomainCode.UNAVAILABLE, "the service did not answer in time; ask again"));
    }
    return Optional.empty();
  }

  static DomainCode classify(String reason) {
    String r = reason == null ? "" : reason;
    return BY_REASON.stream().filter(e -> r.contains(e.getKey())).map(Map.Entry::getValue).findFirst()
        .orElse(DomainCode.ILLEGAL_TRANSITION);
  }

  static Views.DomainErrorNode node(DomainCode code, String message) {
    return new Views.DomainErrorNode(code.name(), message);
  }
}
