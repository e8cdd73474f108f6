package audience.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Which answers of /graphql the API benchmark counts as errors, and under which code. */
class ApiOperationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Optional<String> error(ApiOperation op, int status, String body) throws Exception {
    return op.error(status, JSON.readTree(body));
  }

  @Test
  void aGoodAnswerOfEachOperationIsNoError() throws Exception {
    assertThat(error(ApiOperation.SEGMENTS_PAGE, 200,
        "{\"data\":{\"segments\":{\"totalCount\":2,\"edges\":[{\"cursor\":\"c\",\"node\":{\"id\":\"s-1\"}}]}}}")).isEmpty();
    assertThat(error(ApiOperation.BOOKING, 200, "{\"data\":{\"booking\":{\"id\":\"b-1\",\"status\":\"REQUESTED\"}}}"))
        .isEmpty();
    assertThat(error(ApiOperation.BOOK_SEGMENT, 200,
        "{\"data\":{\"bookSegment\":{\"booking\":{\"id\":\"b-1\"},\"error\":null}}}")).isEmpty();
    assertThat(error(ApiOperation.CANCEL_BOOKING, 200,
        "{\"data\":{\"cancelBooking\":{\"booking\":{\"id\":\"b-1\",\"status\":\"CANCELLED\"},\"error\":null}}}"))
        .isEmpty();
    assertThat(error(ApiOperation.ME, 200, "{\"data\":{\"me\":{\"subject\":\"bench-api-0\"}}}")).isEmpty();
  }

  @Test
  void aRefusalIsItsCodeWithItsStatusUnless200() throws Exception {
    assertThat(error(ApiOperation.SEGMENTS_PAGE, 429,
        "{\"errors\":[{\"message\":\"slow down\",\"extensions\":{\"code\":\"RATE_LIMITED\"}}]}"))
        .contains("RATE_LIMITED_429");
    assertThat(error(ApiOperation.BOOKING, 200,
        "{\"data\":{\"booking\":null},\"errors\":[{\"message\":\"x\",\"extensions\":{\"code\":\"UNAVAILABLE\"}}]}"))
        .contains("UNAVAILABLE");
    assertThat(error(ApiOperation.ME, 500, "{\"errors\":[{\"message\":\"internal error\"}]}"))
        .contains("GRAPHQL_ERROR_500");
    assertThat(error(ApiOperation.ME, 502, "{}")).contains("HTTP_502");
  }

  @Test
  void domainErrorsOfTheMutationsAreTheirCodes() throws Exception {
    assertThat(error(ApiOperation.BOOK_SEGMENT, 200, "{\"data\":{\"bookSegment\":{\"booking\":null,"
        + "\"error\":{\"code\":\"ALREADY_BOOKED\",\"message\":\"the segment is already booked\"}}}}"))
        .contains("ALREADY_BOOKED");
    assertThat(error(ApiOperation.CANCEL_BOOKING, 200, "{\"data\":{\"cancelBooking\":{\"booking\":null,"
        + "\"error\":{\"code\":\"ILLEGAL_TRANSITION\",\"message\":\"its upload has started\"}}}}"))
        .contains("ILLEGAL_TRANSITION");
    assertThat(error(ApiOperation.BOOK_SEGMENT, 200, "{\"data\":{\"bookSegment\":{\"booking\":null,\"error\":null}}}"))
        .contains(ApiOperation.NO_BOOKING);
  }

  @Test
  void answersWithoutWhatWasAskedAreErrors() throws Exception {
    assertThat(error(ApiOperation.SEGMENTS_PAGE, 200, "{\"data\":{\"segments\":{\"totalCount\":0,\"edges\":[]}}}"))
        .contains(ApiOperation.EMPTY_PAGE);
    assertThat(error(ApiOperation.BOOKING, 200, "{\"data\":{\"booking\":null}}")).contains(ApiOperation.NOT_FOUND);
    assertThat(error(ApiOperation.SEGMENTS_PAGE, 200, "{\"data\":{}}")).contains(ApiOperation.NO_DATA);
    assertThat(error(ApiOperation.ME, 200, "{\"data\":{\"me\":{\"subject\":\"\"}}}")).contains(ApiOperation.NO_DATA);
  }

  @Test
  void theBookingIdOfAMutationsAnswer() throws Exception {
    JsonNode booked = JSON.readTree("{\"data\":{\"bookSegment\":{\"booking\":{\"id\":\"b-7\"},\"error\":null}}}");
    assertThat(ApiOperation.BOOK_SEGMENT.bookingId(booked)).contains("b-7");
    assertThat(ApiOperation.BOOK_SEGMENT.bookingId(JSON.readTree("{\"data\":{\"bookSegment\":{\"booking\":null}}}")))
        .isEmpty();
  }
}
