package audience.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunPhaseTest {
  private final ObjectMapper json = new ObjectMapper();

  @ParameterizedTest
  @EnumSource(RunPhase.class)
  void everyPhaseTravelsInLowerCaseAndComesBack(RunPhase phase) throws Exception {
    String text = json.writeValueAsString(phase);
    assertThat(text).isEqualTo("\"" + phase.name().toLowerCase() + "\"");
    assertThat(json.readValue(text, RunPhase.class)).isEqualTo(phase);
    assertThat(RunPhase.fromWire(phase.name())).isEqualTo(phase);
  }

  @Test
  void journalsAndRowsWrittenBeforeTheReshapeStillRead() throws Exception {
    assertThat(json.readValue("\"FINISHED\"", RunPhase.class)).isEqualTo(RunPhase.COMPLETED);
    assertThat(RunPhase.fromWire("RUNNING")).isEqualTo(RunPhase.RUNNING);
  }

  @Test
  void anUnknownPhaseIsRefusedWithItsSpelling() {
    assertThatThrownBy(() -> RunPhase.fromWire("stuck")).hasMessageContaining("'stuck'");
  }

  @Test
  void theTrackersCompletionWinsOverTheRunEntitysPhase() {
    assertThat(RunPhase.shown(RunPhase.RUNNING, true)).isEqualTo(RunPhase.COMPLETED);
    assertThat(RunPhase.shown(RunPhase.PAUSED, false)).isEqualTo(RunPhase.PAUSED);
    assertThat(RunPhase.COMPLETED.ended()).isTrue();
    assertThat(RunPhase.CANCELLED.ended()).isTrue();
    assertThat(RunPhase.PAUSED.active()).isTrue();
    assertThat(RunPhase.NEW.active() || RunPhase.NEW.ended()).isFalse();
  }
}
