package audience.ingestion;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Run ids from uploads and redrives: deterministic, and always run ids. */
class RunIdsTest {
  @Test
  void theSameUploadNamesTheSameRun() {
    assertThat(RunIds.forUpload("b", "p/", "u-1")).isEqualTo(RunIds.forUpload("b", "p/", "u-1"))
        .isNotEqualTo(RunIds.forUpload("b", "p/", "u-2")).matches(RunIds.PATTERN);
  }

  @Test
  void aRedriveIsNamedAfterItsRunAndItsNumber() {
    assertThat(RunIds.forRedrive("run-0123456789abcdef", 1)).isEqualTo("run-0123456789abcdef-r1");
    assertThat(RunIds.forRedrive("run-0123456789abcdef-r1", 2)).isEqualTo("run-0123456789abcdef-r1-r2");
  }

  @Test
  void aRedriveIdTooLongForARunIdIsRefusedWithTheWayOut() {
    String longest = "r" + "x".repeat(79);
    assertThatThrownBy(() -> RunIds.forRedrive(longest, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("run " + longest + " cannot be redriven: redrive run id " + longest + "-r1 would not be a run id ("
            + RunIds.PATTERN + "); redrive an earlier run of its chain");
  }
}
