package audience.service;

import audience.aws.AwsClients;
import audience.config.Settings;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The node's readiness checks for Pekko Management's {@code GET /ready}, one per dependency: the journal and
 * snapshot tables, the raw bucket (S3), the members table (DynamoDB) and the segments stream (Kinesis). Each answers
 * true when one cheap call succeeds within the probe timeout, and otherwise fails with a reason that names the
 * dependency and the resource (never a member's data), which the management route reports.
 */
public final class Readiness {
  private Readiness() {}

  /** A named dependency and the call that proves it reachable. */
  public record Probe(String name, String resource, Supplier<CompletionStage<?>> call) {}

  /** The dependencies a node needs, with the resources it names in {@code settings}. */
  public static List<Probe> probes(AwsClients aws, Settings.Resources r) {
    return List.of(
        new Probe("journal", r.journalTable() + ", " + r.snapshotTable(), () -> CompletableFuture.allOf(
            aws.dynamo().describeTable(b -> b.tableName(r.journalTable())),
            aws.dynamo().describeTable(b -> b.tableName(r.snapshotTable())))),
        new Probe("s3", r.rawBucket(), () -> aws.s3().headBucket(b -> b.bucket(r.rawBucket()))),
        new Probe("dynamodb", r.membersTable(), () -> aws.dynamo().describeTable(b -> b.tableName(r.membersTable()))),
        new Probe("kinesis", r.segmentsStream(),
            () -> aws.kinesis().describeStreamSummary(b -> b.streamName(r.segmentsStream()))));
  }

  /** The probes as Pekko Management checks, each bounded by {@code timeout}. */
  public static List<Supplier<CompletionStage<Boolean>>> checks(List<Probe> probes, Duration timeout) {
    return probes.stream().<Supplier<CompletionStage<Boolean>>>map(p -> () -> check(p, timeout)).toList();
  }

  static CompletionStage<Boolean> check(Probe probe, Duration timeout) {
    CompletableFuture<Boolean> result;
    try {
      result = probe.call().get().toCompletableFuture().thenApply(ok -> true);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).exceptionally(e -> {
      throw new IllegalStateException(probe.name() + " (" + probe.resource() + ") is not reachable: "
          + reason(e, timeout));
    });
  }

  private static String reason(Throwable e, Duration timeout) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof java.util.concurrent.TimeoutException) return "no answer within " + timeout.toMillis() + " ms";
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + firstLine(message));
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
