package audience.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./audience segments [--run ID] [--json]}: a generation's segments as a table (the run's, else the latest
 * manifest's), through {@code GET /ops/segments}; {@code segments regenerate RUN} generates a run's segments again;
 * {@code segments status RUN} shows where a run's generation stands.
 */
@Command(name = "segments", mixinStandardHelpOptions = true,
    description = "List a generation's segments (the latest, or a run's) as a table, or as JSON with --json.",
    subcommands = {SegmentsCommand.Regenerate.class, SegmentsCommand.Status.class})
final class SegmentsCommand extends OpsCommands.OpsCommand {
  private static final String ROW = "%-64s %9s  %s%n";

  @Option(names = "--run", paramLabel = "RUN", description = "The run whose generation to list (default: latest).")
  String runId;
  @Option(names = "--state", description = "Only segments of this state, e.g. NSW.") String state;
  @Option(names = "--suburb", description = "Only segments of this suburb.") String suburb;
  @Option(names = "--intent", description = "Only segments of this intent (buy, rent, sell, invest).") String intent;
  @Option(names = "--min-audience", description = "Only segments with at least this audience.") Long minAudience;
  @Option(names = "--json", description = "The service's answer as JSON.") boolean asJson;

  @Override
  public Integer call() throws Exception {
    List<String> query = new ArrayList<>();
    add(query, "run", runId);
    add(query, "state", state);
    add(query, "suburb", suburb);
    add(query, "intent", intent);
    add(query, "minAudience", minAudience == null ? null : minAudience.toString());
    OpsClient.Reply reply = new OpsClient(url).get("ops/segments" + (query.isEmpty() ? "" : "?" + String.join("&",
        query)));
    if (asJson || !reply.ok()) return print(reply);
    JsonNode body = reply.body();
    System.out.printf("generation %s: %d segments%n", body.path("generationId").asText(),
        body.path("segments").size());
    System.out.printf(ROW, "SEGMENT", "AUDIENCE", "METADATA");
    for (JsonNode s : body.path("segments")) {
      System.out.printf(ROW, s.path("segmentId").asText(), s.path("audience").asLong(), s.path("metadataKey").asText()
          + (s.path("status").asText().equals("active") ? "" : " (" + s.path("status").asText() + ")"));
    }
    return 0;
  }

  private static void add(List<String> query, String name, String value) {
    if (value != null) query.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
  }

  @Command(name = "regenerate", mixinStandardHelpOptions = true,
      description = "Generate a run's segments again (same generation id: its documents and manifest are rewritten).")
  static final class Regenerate extends OpsCommands.OpsCommand {
    @Parameters(index = "0", paramLabel = "RUN") String runId;

    @Override
    public Integer call() throws Exception {
      return print(new OpsClient(url).post("ops/segments/regenerate?run="
          + URLEncoder.encode(runId, StandardCharsets.UTF_8), ""));
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Where a run's segment generation stands (phase, segments, manifest, done-to-manifest ms); "
          + "without RUN, every generation.")
  static final class Status extends OpsCommands.OpsCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "RUN") String runId;

    @Override
    public Integer call() throws Exception {
      OpsClient ops = new OpsClient(url);
      return print(runId == null ? ops.get("ops/segments/generations")
          : ops.get("ops/segments/generations/" + URLEncoder.encode(runId, StandardCharsets.UTF_8)));
    }
  }
}
