package audience.http;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The quarantine route's query parameters and page tokens, pure. */
class QuarantineQueryTest {
  @Test
  void noParametersAskTheFirstPageOfEveryReason() {
    assertThat(QuarantineQuery.parse(Optional.empty(), Optional.empty(), Optional.empty())).isEqualTo(
        new QuarantineQuery.Valid(new QuarantineQuery(null, QuarantineQuery.DEFAULT_LIMIT, null)));
  }

  @Test
  void aTokenIsTheLastKeyOfAPageAndReadsBackToIt() {
    String key = "p/2026-01-01/part-0001/m-abc d é.json";
    String token = QuarantineQuery.encode(key);
    assertThat(token).matches("[A-Za-z0-9_-]+"); // safe in a URL as it is
    assertThat(QuarantineQuery.parse(Optional.of("OUT_OF_RANGE"), Optional.of("1000"), Optional.of(token)))
        .isEqualTo(new QuarantineQuery.Valid(new QuarantineQuery("OUT_OF_RANGE", 1000, key)));
  }

  @Test
  void eachBadParameterIsNamedWithWhatWasGiven() {
    assertThat(QuarantineQuery.parse(Optional.of("out_of_range"), Optional.empty(), Optional.empty()))
        .isEqualTo(new QuarantineQuery.Invalid(
            "reason must be a rejection kind such as OUT_OF_RANGE ([A-Z][A-Z0-9_]*), got 'out_of_range'"));
    assertThat(QuarantineQuery.parse(Optional.empty(), Optional.of("1001"), Optional.empty()))
        .isEqualTo(new QuarantineQuery.Invalid("limit must be an integer from 1 to 1000, got '1001'"));
    assertThat(QuarantineQuery.parse(Optional.empty(), Optional.of("ten"), Optional.empty()))
        .isEqualTo(new QuarantineQuery.Invalid("limit must be an integer from 1 to 1000, got 'ten'"));
    assertThat(QuarantineQuery.parse(Optional.empty(), Optional.empty(), Optional.of("")))
        .isEqualTo(new QuarantineQuery.Invalid("after must be the next token of a previous page, got ''"));
    assertThat(QuarantineQuery.parse(Optional.empty(), Optional.empty(), Optional.of("a+b/")))
        .isInstanceOf(QuarantineQuery.Invalid.class);
  }

  @Test
  void thePathOfAPageLeavesOutWhatIsNotAsked() {
    assertThat(QuarantineQuery.path("run-1", null, 50, null)).isEqualTo("ops/ingestions/run-1/quarantine?limit=50");
    assertThat(QuarantineQuery.path("run-1", "EMPTY", 50, "cC9i"))
        .isEqualTo("ops/ingestions/run-1/quarantine?limit=50&reason=EMPTY&after=cC9i");
  }
}
