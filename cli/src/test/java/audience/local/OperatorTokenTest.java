package audience.local;

import audience.auth.Caller;
import audience.auth.Role;
import audience.auth.TokenVerifier;
import audience.config.Settings;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OperatorTokenTest {
  private static final Settings LOCAL = Settings.load(Map.of("audience.profile", Settings.PROFILE_LOCAL));
  private static final Instant T0 = Instant.now();
  private final TokenVerifier verifier = TokenVerifier.hs256(LOCAL.api().jwt());

  private static OperatorToken cli(Optional<String> flag, Map<String, String> env, Settings settings, Clock clock) {
    return OperatorToken.forCli(flag, env, () -> settings, "alice", clock);
  }

  @Test
  void withoutAFlagOrTheVariableTheCliMintsAnOperatorTokenForCliAndTheOsUser() {
    OperatorToken t = cli(Optional.empty(), Map.of(), LOCAL, Clock.fixed(T0, ZoneOffset.UTC));
    assertThat(t.given()).isFalse();
    assertThat(verifier.verify(t.token())).isEqualTo(new TokenVerifier.Verified(new Caller("cli:alice",
        Role.OPERATOR)));
    assertThat(t.header()).isEqualTo("Bearer " + t.token());
  }

  @Test
  void theVariableOverridesMintingAndTheFlagOverridesTheVariable() {
    AtomicInteger loads = new AtomicInteger();
    OperatorToken fromEnv = OperatorToken.forCli(Optional.empty(), Map.of(OperatorToken.ENV, " env-token \n"),
        () -> {
          loads.incrementAndGet();
          return LOCAL;
        }, "alice", Clock.systemUTC());
    assertThat(fromEnv.given()).isTrue();
    assertThat(fromEnv.token()).isEqualTo("env-token");
    assertThat(loads).as("a given token needs no settings").hasValue(0);
    OperatorToken fromFlag = cli(Optional.of("flag-token"), Map.of(OperatorToken.ENV, "env-token"), LOCAL,
        Clock.systemUTC());
    assertThat(fromFlag.token()).isEqualTo("flag-token");
    // an empty variable is no token: the CLI mints its own
    assertThat(cli(Optional.empty(), Map.of(OperatorToken.ENV, ""), LOCAL, Clock.systemUTC()).given()).isFalse();
  }

  @Test
  void aMintedTokenIsKeptForHalfItsLifetimeThenMintedAgain() {
    Duration ttl = LOCAL.api().jwt().tokenTtl();
    Instant[] now = {T0};
    Clock clock = new Clock() {
      @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
      @Override public Clock withZone(java.time.ZoneId zone) { return this; }
      @Override public Instant instant() { return now[0]; }
    };
    OperatorToken t = cli(Optional.empty(), Map.of(), LOCAL, clock);
    String first = t.token();
    now[0] = T0.plus(ttl.dividedBy(2)).minusSeconds(1);
    assertThat(t.token()).isSameAs(first);
    now[0] = T0.plus(ttl.dividedBy(2));
    assertThat(t.token()).isNotEqualTo(first);
  }

  @Test
  void theAwsProfileHasNoLocalKeySoATokenMustBeGiven() {
    Settings aws = Settings.load(Map.of("audience.profile", Settings.PROFILE_AWS,
        "audience.api.jwt.jwks-url", "https://idp.example/jwks.json"));
    OperatorToken t = cli(Optional.empty(), Map.of(), aws, Clock.systemUTC());
    assertThatThrownBy(t::token).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("set " + OperatorToken.ENV);
    assertThat(cli(Optional.empty(), Map.of(OperatorToken.ENV, "idp-token"), aws, Clock.systemUTC()).token())
        .isEqualTo("idp-token");
  }
}
