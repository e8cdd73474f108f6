package audience.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the terminal shows of a run's bad files when the run ends (up, demo, ingest --wait, status --watch,
 * redrive --wait): how many of each reason, and the commands that list them and redrive them. Counts and run ids
 * only: no file content, so no personal value. Pure.
 */
final class QuarantineReport {
  private QuarantineReport() {}

  /**
   * The lines for run {@code runId} with {@code byReason} counts. {@code serviceUrl}: where the service that holds
   * the list keeps serving, null when it stops with the command (demo).
   */
  static List<String> lines(String runId, Map<String, Long> byReason, String serviceUrl) {
    long total = byReason.values().stream().mapToLong(Long::longValue).sum();
    if (total == 0) return List.of("run " + runId + ": no file quarantined");
    List<String> lines = new ArrayList<>();
    lines.add("run " + runId + ": " + total + (total == 1 ? " file" : " files") + " quarantined: "
        + byReason.entrySet().stream().filter(e -> e.getValue() > 0)
            .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
    if (serviceUrl == null) {
      lines.add("  the demo's service stopped with it; ./audience up keeps one serving, where "
          + "./audience quarantine RUN lists them");
      return lines;
    }
    String url = serviceUrl.equals(OpsCommands.DEFAULT_URL) ? "" : " --url " + serviceUrl;
    lines.add("  list them: ./audience quarantine " + runId + " [--reason KIND] [--json]" + url);
    lines.add("  after fixing their sources: ./audience redrive " + runId + url);
    return lines;
  }
}
