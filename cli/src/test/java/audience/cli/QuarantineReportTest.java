package audience.cli;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** What the terminal says of a run's bad files when it ends. */
class QuarantineReportTest {
  @Test
  void countsByReasonAndTheCommandsThatListAndRedriveThem() {
    Map<String, Long> byReason = new TreeMap<>(Map.of("OUT_OF_RANGE", 8L, "NOT_JSON", 3L));
    assertThat(QuarantineReport.lines("run-1", byReason, OpsCommands.DEFAULT_URL)).containsExactly(
        "run run-1: 11 files quarantined: NOT_JSON 3, OUT_OF_RANGE 8",
        "  list them: ./audience quarantine run-1 [--reason KIND] [--json]",
        "  after fixing their sources: ./audience redrive run-1");
  }

  @Test
  void aServiceElsewhereIsNamedInTheCommands() {
    assertThat(QuarantineReport.lines("run-1", Map.of("EMPTY", 1L), "http://127.0.0.1:9000")).containsExactly(
        "run run-1: 1 file quarantined: EMPTY 1",
        "  list them: ./audience quarantine run-1 [--reason KIND] [--json] --url http://127.0.0.1:9000",
        "  after fixing their sources: ./audience redrive run-1 --url http://127.0.0.1:9000");
  }

  @Test
  void aServiceThatStoppedIsSaidSo() {
    assertThat(QuarantineReport.lines("run-1", Map.of("EMPTY", 2L), null)).containsExactly(
        "run run-1: 2 files quarantined: EMPTY 2",
        "  the demo's service stopped with it; ./audience up keeps one serving, where ./audience quarantine RUN "
            + "lists them");
  }

  @Test
  void aCleanRunSaysSoInOneLine() {
    assertThat(QuarantineReport.lines("run-1", Map.of(), OpsCommands.DEFAULT_URL))
        .containsExactly("run run-1: no file quarantined");
  }
}
