package audience.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import audience.devstack.EdmSandboxFault.Call;
import audience.devstack.EdmSandboxFault.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scripted answers as JSON ({@code POST /sandbox/faults}), their defaults and what is refused. */
class EdmSandboxFaultTest {
  private static List<EdmSandboxFault> parse(String json) throws IOException {
    return EdmSandbox.parseFaults(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void jsonNamesEachKindAndFillsTheDefaults() throws IOException {
    List<EdmSandboxFault> faults = parse("""
        [{"kind": "rateLimited"}, {"kind": "serverError", "on": "poll"}, {"kind": "slow", "delayMs": 1500},
         {"kind": "drop", "on": "create"}, {"kind": "failJob"}]""");

    assertThat(faults).containsExactly(
        new EdmSandboxFault(Kind.RATE_LIMITED, Call.ANY, 0, EdmSandboxFault.DEFAULT_RETRY_AFTER_SECONDS, 0),
        new EdmSandboxFault(Kind.SERVER_ERROR, Call.POLL, EdmSandboxFault.DEFAULT_STATUS, 0, 0),
        EdmSandboxFault.slow(Duration.ofMillis(1500)),
        EdmSandboxFault.drop().on(Call.CREATE),
        EdmSandboxFault.failJob());
  }

  @Test
  void theJavaFactoriesRoundTripThroughJson() throws IOException {
    List<EdmSandboxFault> faults = List.of(EdmSandboxFault.rateLimited(Duration.ofSeconds(7)).on(Call.FIND),
        EdmSandboxFault.serverError(502), EdmSandboxFault.failJob());
    String json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(faults);

    assertThat(parse(json)).isEqualTo(faults);
  }

  @Test
  void nonsenseIsRefusedWithTheReason() {
    assertThatThrownBy(() -> parse("[{\"kind\": \"failJob\", \"on\": \"poll\"}]"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failJob only applies to create");
    assertThatThrownBy(() -> parse("[{\"kind\": \"serverError\", \"status\": 404}]"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be 5xx");
    assertThatThrownBy(() -> parse("[{\"kind\": \"slow\", \"delayMillis\": 5}]"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delayMillis");
    assertThatThrownBy(() -> parse("[{\"kind\": \"explode\"}]"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> parse("[{\"on\": \"poll\"}]"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kind is required");
  }
}
