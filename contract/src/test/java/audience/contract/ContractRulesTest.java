package audience.contract;

import static audience.contract.ContractFixtures.tree;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

class ContractRulesTest {

  private static MemberProfile profile(Consumer<Map<String, Object>> change) throws Rejected {
    return ContractRules.profile(tree(change), ContractFixtures.LIMITS.latest());
  }

  private static String reason(JsonNode root) {
    try {
      ContractRules.profile(root, ContractFixtures.LIMITS.latest());
    } catch (Rejected r) {
      return r.rejection().reason();
    }
    throw new AssertionError("expected a rejection");
  }

  private static String reason(Consumer<Map<String, Object>> change) {
    return reason(tree(change));
  }

  private static Map<String, Object> entry(String type, String listingId, String at) {
    Map<String, Object> e = new HashMap<>();
    e.put("type", type);
    e.put("listingId", listingId);
    e.put("at", at);
    return e;
  }

  @Test
  void theRootMustBeAnObject() {
    assertThat(reason(ContractFixtures.JSON.createArrayNode()))
        .isEqualTo("NOT_AN_OBJECT: root is an array, expected object");
    assertThat(reason(ContractFixtures.JSON.getNodeFactory().numberNode(1.5)))
        .isEqualTo("NOT_AN_OBJECT: root is a decimal number, expected object");
  }

  @Test
  void integersMustBeWrittenWithoutAFraction() throws Rejected {
    assertThat(reason(m -> m.put("bedrooms", 3.0)))
        .isEqualTo("WRONG_TYPE: bedrooms is a decimal number, expected integer");
    assertThat(reason(m -> m.put("priceMin", 1e5)))
        .isEqualTo("WRONG_TYPE: priceMin is a decimal number, expected integer");
    // the bounds themselves are allowed, and an empty price band is one price
    MemberProfile p = profile(m -> {
      m.put("bedrooms", ContractRules.BEDROOMS_MAX);
      m.put("priceMin", Long.MAX_VALUE);
      m.put("priceMax", Long.MAX_VALUE);
    });
    assertThat(p.bedrooms()).isEqualTo(ContractRules.BEDROOMS_MAX);
    assertThat(p.priceMin()).isEqualTo(p.priceMax());
  }

  @Test
  void instantsAreIsoInstantsWithSecondsAndAZoneOrOffset() throws Rejected {
    Map<String, Instant> accepted = Map.of(
        "2025-06-01T10:15:30Z", Instant.parse("2025-06-01T10:15:30Z"),
        "2025-06-01T10:15:30.123456789Z", Instant.parse("2025-06-01T10:15:30.123456789Z"),
        "2025-06-01T10:15:30-03:30", Instant.parse("2025-06-01T13:45:30Z"),
        "2025-06-01t10:15:30z", Instant.parse("2025-06-01T10:15:30Z"),
        "2016-12-31T23:59:60Z", Instant.parse("2016-12-31T23:59:59Z")); // a leap second
    for (var e : accepted.entrySet()) {
      assertThat(profile(m -> m.put("lastActive", e.getKey())).lastActive())
          .as(e.getKey()).isEqualTo(e.getValue());
    }
    for (String refused : List.of("2025-06-01T10:15:30", "2025-06-01T10:15Z",
        "2025-06-01 10:15:30Z", "2025-06-01", "2025-06-01T10:15:30+1000")) {
      assertThat(reason(m -> m.put("lastActive", refused))).as(refused)
          .startsWith("INVALID_VALUE: lastActive is not valid");
    }
  }

  @Test
  void activityEntriesKeepTheirOrderAndIgnoreUnknownFields() throws Rejected {
    Map<String, Object> first = entry("save", "l-9", "2025-06-01T20:00:00+10:00");
    first.put("channel", "app");
    MemberProfile p = profile(m -> m.put("activity",
        List.of(first, entry("view", "l-1", "2025-05-01T00:00:00Z"))));
    assertThat(p.activity()).containsExactly(
        new Activity(ActivityType.SAVE, "l-9", Instant.parse("2025-06-01T10:00:00Z")),
        new Activity(ActivityType.VIEW, "l-1", Instant.parse("2025-05-01T00:00:00Z")));
  }

  @Test
  void everyActivityEntryIsChecked() {
    Map<String, Object> good = entry("view", "l-1", "2025-05-01T00:00:00Z");
    assertThat(reason(m -> m.put("activity", List.of(good, entry("view", " ", "x")))))
        .isEqualTo("INVALID_VALUE: activity[1].listingId is not valid (expected a non-blank id)");
    assertThat(reason(m -> m.put("activity", Arrays.asList(good, null))))
        .isEqualTo("WRONG_TYPE: activity[1] is null, expected object");
    assertThat(reason(m -> m.put("activity", List.of(entry("view", "l-1", null)))))
        .isEqualTo("WRONG_TYPE: activity[0].at is null, expected string");
  }

  @Test
  void theMemberIdPatternIsBuiltFromTheRulesItDescribes() {
    assertThat(ContractParser.MEMBER_ID_PATTERN).isEqualTo("^m-[0-9a-z]{4,32}$");
    assertThat("m-" + "a".repeat(ContractRules.MEMBER_ID_MAX_SUFFIX))
        .matches(ContractParser.MEMBER_ID_PATTERN)
        .satisfies(s -> assertThat(ContractRules.isValidMemberId(s)).isTrue());
  }

  @Test
  void anInvalidEmailIsNamedWithTheRuleItBreaksNeverQuoted() {
    Map<String, String> problems = new LinkedHashMap<>();
    problems.put("a@bc", "shorter than 5 characters");
    problems.put("a".repeat(250) + "@b.co", "longer than 254 characters");
    problems.put("ann lee@b.co", "contains whitespace or a control character");
    problems.put("ann\u00a0lee@b.co", "contains whitespace or a control character");
    problems.put("ann\u007f@b.co", "contains whitespace or a control character");
    problems.put("ann@lee@b.co", "more than one @");
    problems.put("ann.b.co", "no @");
    problems.put("@ann.b.co", "nothing before the @");
    problems.put("ann.b.co@", "nothing after the @");
    problems.put("ann@bco", "no dot in the domain");
    problems.put("ann@.b.co", "the domain starts with a dot");
    problems.put("ann@b.co.", "the domain ends with a dot");
    problems.put("ann@b..co", "the domain has an empty label");
    for (var e : problems.entrySet()) {
      assertThat(ContractRules.emailProblem(e.getKey())).as(e.getKey()).contains(e.getValue());
      assertThat(ContractRules.isValidEmail(e.getKey())).as(e.getKey()).isFalse();
      assertThat(reason(m -> m.put("email", e.getKey()))).as(e.getKey())
          .isEqualTo("INVALID_VALUE: email is not a valid address (" + e.getValue() + ")")
          .doesNotContain("ann");
    }
    assertThat(ContractRules.emailProblem("ann.lee+x@b.co")).isEmpty();
  }
}
