package audience.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import audience.devstack.DevStack.Service;
import audience.devstack.FaultRule.Match;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultRulesTest {
  @Test
  void roundTripsThroughJson() {
    FaultRules rules = FaultRules.seed(42)
        .with(Service.S3, FaultRule.matching("denied", Match.pathContains("/raw/bad-")).withErrors(1, "AccessDenied"),
            FaultRule.all("slow").withLatency(5, 2).withErrors(0.05).withResets(0.01).withSlowBodies(0.1, 30))
        .with(Service.DYNAMODB, FaultRule.matching("writes", Match.operation("BatchWriteItem"))
            .withErrors(0.5, "ProvisionedThroughputExceededException", "InternalServerError"));
    FaultRules read = FaultRules.fromJson(rules.toJson());
    assertThat(read).isEqualTo(rules);
    assertThat(read.of(Service.S3).get(1).slowBodyPauseMs()).isEqualTo(30);
    assertThat(read.of(Service.SQS)).isEmpty();
    assertThat(read.active()).isTrue();
  }

  @Test
  void readsHandWrittenRulesWithDefaults() {
    FaultRules rules = FaultRules.fromJson("""
        {"sqs": [{"errorProbability": 0.25}, {"latencyMs": 3}]}""");
    assertThat(rules.seed()).isEqualTo(FaultRules.DEFAULT_SEED);
    FaultRule first = rules.of(Service.SQS).get(0);
    assertThat(first.name()).isEqualTo("rule-1");
    assertThat(first.match()).isEqualTo(Match.ANY);
    assertThat(first.errors()).isEmpty();
    assertThat(first.slowBodyPauseMs()).isEqualTo(FaultRule.DEFAULT_SLOW_BODY_PAUSE_MS);
    assertThat(rules.of(Service.SQS).get(1).name()).isEqualTo("rule-2");
  }

  @Test
  void uniformWeatherSplitsTheFaultRateBetweenResetsAndRetryableErrors() {
    FaultRules rules = FaultRules.uniform(3, "bench", 5, 0.1, 0.2);
    for (Service s : Service.values()) {
      FaultRule rule = rules.of(s).get(0);
      assertThat(rule.name()).isEqualTo("bench");
      assertThat(rule.latencyMs()).isEqualTo(5);
      assertThat(rule.resetProbability()).isCloseTo(0.02, within(1e-12));
      // a request is reset with 0.02, else failed with the error probability: 0.1 in all
      assertThat(rule.resetProbability() + (1 - rule.resetProbability()) * rule.errorProbability())
          .isCloseTo(0.1, within(1e-12));
      assertThat(rule.errors()).isEqualTo(FaultDialect.of(s).retryableCodes());
    }
    assertThat(rules.of(Service.S3).get(0).errors()).containsExactly("SlowDown", "InternalError");
    assertThat(FaultRules.uniform(3, "bench", 0, 0, 0.2).active()).isFalse();
  }

  @Test
  void noRulesIsInactive() {
    assertThat(FaultRules.none().active()).isFalse();
    assertThat(FaultRules.fromJson("{}")).isEqualTo(FaultRules.none());
  }

  @Test
  void refusesWhatItCannotMean() {
    assertThatThrownBy(() -> FaultRules.fromJson("{\"s4\": []}")).hasMessageContaining("unknown key \"s4\"");
    assertThatThrownBy(() -> FaultRules.fromJson("{\"s3\": [{\"errorProbabilty\": 0.5}]}"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("errorProbabilty");
    assertThatThrownBy(() -> FaultRules.fromJson("{\"s3\": [{\"errorProbability\": 1.5}]}"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1]");
    assertThatThrownBy(() -> FaultRules.fromJson("{\"sns\": [{\"errors\": [\"SlowDown\"]}]}"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown error \"SlowDown\"");
    assertThatThrownBy(() -> FaultRules.fromJson("[1]")).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> FaultRules.fromJson("{\"seed\": \"x\"}")).hasMessageContaining("seed");
  }

  @Test
  void everyServiceHasARetryableDefaultError() {
    for (Service s : Service.values()) {
      FaultDialect d = FaultDialect.of(s);
      assertThat(d.errors().get(0).retryable()).as(s.name()).isTrue();
      assertThat(d.retryableCodes()).as(s.name()).isNotEmpty().doesNotContain("AccessDenied");
    }
    assertThat(FaultDialect.of(Service.DYNAMODB).retryableCodes())
        .containsExactly("ProvisionedThroughputExceededException", "InternalServerError");
    assertThat(List.of(FaultDialect.of(Service.S3).error("AccessDenied").status())).containsExactly(403);
  }
}
