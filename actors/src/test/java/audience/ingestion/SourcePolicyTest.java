package audience.ingestion;

import audience.config.Settings.AllowedSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The allowed-sources check, pure: buckets, glob patterns, and the reason given for a refusal. */
class SourcePolicyTest {
  private final SourcePolicy policy = new SourcePolicy(List.of(
      new AllowedSource("audience-raw", List.of("*")),
      new AllowedSource("uploads", List.of("partner-a/*")),
      new AllowedSource("uploads", List.of("partner-b/2026-??/*"))));

  @Test
  void theWholeBucketPatternAllowsEveryPrefixEvenNone() {
    assertThat(policy.check("audience-raw", "")).isInstanceOf(SourcePolicy.Allowed.class);
    assertThat(policy.check("audience-raw", "demo/")).isInstanceOf(SourcePolicy.Allowed.class);
    assertThat(policy.check("audience-raw", "a/b/c/")).isInstanceOf(SourcePolicy.Allowed.class);
  }

  @Test
  void patternsOfEntriesForTheSameBucketAddUp() {
    assertThat(policy.check("uploads", "partner-a/")).isInstanceOf(SourcePolicy.Allowed.class);
    assertThat(policy.check("uploads", "partner-a/2026/06/")).isInstanceOf(SourcePolicy.Allowed.class);
    assertThat(policy.check("uploads", "partner-b/2026-07/x/")).isInstanceOf(SourcePolicy.Allowed.class);
  }

  @Test
  void aBucketNotListedIsRefusedNamingTheAllowedBuckets() {
    assertThat(policy.check("someone-elses", "x/")).isEqualTo(new SourcePolicy.Refused(
        "s3://someone-elses/x/ is not a source this service ingests: bucket someone-elses is not in "
            + "audience.ingestion.allowed-sources (allowed buckets: audience-raw, uploads)"));
  }

  @Test
  void aPrefixMatchingNoPatternIsRefusedNamingThePatterns() {
    assertThat(policy.check("uploads", "")).isEqualTo(new SourcePolicy.Refused(
        "s3://uploads/ is not a source this service ingests: prefix '' matches none of the patterns allowed for "
            + "bucket uploads [partner-a/*, partner-b/2026-??/*]"));
    // 'partner-a' without the slash would also list partner-ab/...: refused
    assertThat(policy.check("uploads", "partner-a")).isInstanceOf(SourcePolicy.Refused.class);
    assertThat(policy.check("uploads", "partner-b/2026-7/x/")).isInstanceOf(SourcePolicy.Refused.class);
  }

  @Test
  void anEmptyListAllowsNothing() {
    SourcePolicy none = new SourcePolicy(List.of());
    assertThat(none.allowsNothing()).isTrue();
    assertThat(none.check("audience-raw", "")).isEqualTo(new SourcePolicy.Refused(
        "s3://audience-raw/ is not a source this service ingests: audience.ingestion.allowed-sources is empty, "
            + "so nothing is allowed"));
  }

  @Test
  void globsMatchTheWholeText() {
    assertThat(SourcePolicy.matches("*", "")).isTrue();
    assertThat(SourcePolicy.matches("a*", "a")).isTrue();
    assertThat(SourcePolicy.matches("a*c", "abbbc")).isTrue();
    assertThat(SourcePolicy.matches("a*c", "abbbcd")).isFalse();
    assertThat(SourcePolicy.matches("*/in/*", "x/y/in/z/")).isTrue();
    assertThat(SourcePolicy.matches("a?c", "abc")).isTrue();
    assertThat(SourcePolicy.matches("a?c", "ac")).isFalse();
    assertThat(SourcePolicy.matches("a**b", "ab")).isTrue();
    assertThat(SourcePolicy.matches("", "")).isTrue();
    assertThat(SourcePolicy.matches("", "a")).isFalse();
    assertThat(SourcePolicy.matches("a.b", "axb")).as("no regex meaning").isFalse();
    assertThat(SourcePolicy.matches("*a*a", "banana")).isTrue();
    assertThat(SourcePolicy.matches("*a*a", "bananas")).isFalse();
  }
}
