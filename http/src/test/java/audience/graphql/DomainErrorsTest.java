package audience.graphql;

import audience.bookings.BookingRules;
import audience.bookings.SegmentLookup;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** The booking rules' own reasons get their stable codes (a rewording of a reason fails here first). */
class DomainErrorsTest {
  private static final LocalDate TODAY = LocalDate.of(2026, 3, 1);

  private static String code(String reason) {
    return DomainErrors.of(new CompletionException(new StatusReply.ErrorMessage(reason))).orElseThrow().code();
  }

  @Test
  void bookingRefusalsHaveStableCodes() {
    assertThat(code(BookingRules.refuseBooking(List.of(), TODAY.minusDays(1), TODAY).orElseThrow()))
        .isEqualTo("PAST_SEND_DATE");
    assertThat(code(BookingRules.refuseSegment(Optional.empty(), "s-1").orElseThrow())).isEqualTo("UNKNOWN_SEGMENT");
    assertThat(code(BookingRules.refuseSegment(Optional.of(new SegmentLookup.Bookable("s-1", "g-1", "k", 5, false)),
        "s-1").orElseThrow())).isEqualTo("RETIRED_SEGMENT");
    assertThat(code("the segment is already booked for 2026-03-02 (booking b-1, requested)"))
        .isEqualTo("ALREADY_BOOKED");
    assertThat(code("booking b-1 is uploading: its upload has started, it can no longer be cancelled"))
        .isEqualTo("ILLEGAL_TRANSITION");
  }

  @Test
  void notFoundAndBadArgumentsAreTypedAndOtherFailuresAreNot() {
    assertThat(DomainErrors.of(new NoSuchElementException("no booking b-1")).orElseThrow().code())
        .isEqualTo("NOT_FOUND");
    assertThat(DomainErrors.of(new IllegalArgumentException("bucket not allowed")).orElseThrow().code())
        .isEqualTo("INVALID_ARGUMENT");
    assertThat(DomainErrors.of(new IllegalStateException("boom"))).isEmpty();
  }
}
