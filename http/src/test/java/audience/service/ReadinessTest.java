package audience.service;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A readiness check answers true, or fails naming the dependency, the resource and why; never hangs. */
class ReadinessTest {
  private static final Duration TIMEOUT = Duration.ofMillis(200);

  @Test
  void aProbeThatAnswersIsReady() throws Exception {
    var probe = new Readiness.Probe("s3", "raw", () -> CompletableFuture.completedFuture("head"));
    assertThat(Readiness.check(probe, TIMEOUT).toCompletableFuture().get()).isTrue();
  }

  @Test
  void aFailedCallNamesTheDependencyAndTheFirstLineOfItsError() {
    var probe = new Readiness.Probe("dynamodb", "members", () -> CompletableFuture.failedFuture(
        new IllegalArgumentException("Requested resource not found\nsecond line")));
    assertThatThrownBy(() -> Readiness.check(probe, TIMEOUT).toCompletableFuture().get())
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("dynamodb (members) is not reachable: IllegalArgumentException: Requested resource "
            + "not found")
        .hasMessageNotContaining("second line");
  }

  @Test
  void aCallThatNeverAnswersIsRefusedAfterTheTimeout() {
    var probe = new Readiness.Probe("kinesis", "stream", CompletableFuture::new);
    assertThatThrownBy(() -> Readiness.check(probe, TIMEOUT).toCompletableFuture().get())
        .hasMessageContaining("kinesis (stream) is not reachable: no answer within 200 ms");
  }

  @Test
  void aCallThatThrowsBeforeReturningIsRefusedToo() {
    var probe = new Readiness.Probe("journal", "j, s", () -> {
      throw new IllegalStateException("client closed");
    });
    assertThatThrownBy(() -> Readiness.check(probe, TIMEOUT).toCompletableFuture().get())
        .hasMessageContaining("journal (j, s) is not reachable: IllegalStateException: client closed");
  }
}
