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

  @Override
  public Integer call() throws Exception {
    List<String> query = new ArrayList<>();
    add(query, "run", runId);
    add(query, "state", state);
    add(query, "suburb", suburb);
    add(query, "intent", intent);
    add(query, "minAudience", minAudience == null ? null : minAudience.toString());
    OpsClient.Reply reply = client().get("ops/segments" + (query.isEmpty() ? "" : "?" + String.join("&",
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
    @Parameters(index = "0", paramLabel = "RUN", description = "The run whose segments to generate again.")
    String runId;
    @Option(names = "--wait", description = "Follow the generation with a progress bar until its manifest is "
        + "written, then print it.") boolean waitForIt;

    @Override
    public Integer call() throws Exception {
      OpsClient ops = client();
      String run = URLEncoder.encode(runId, StandardCharsets.UTF_8);
      OpsClient.Reply started = ops.post("ops/segments/regenerate?run=" + run, "");
      if (!waitForIt || !started.ok()) return print(started);
      return printJson(awaitGeneration(ops, run, display()));
    }
  }

  /** The steps of a generation, in order, as its phase names them (the bar counts them). */
  private static final List<String> PHASES = List.of("new", "scanning", "published", "completed");

  /** Follows a run's generation ({@code run} URL-encoded) until its phase is completed; answers its last view. */
  static JsonNode awaitGeneration(OpsClient ops, String run, ProgressView.Display display)
      throws InterruptedException {
    JsonNode[] last = new JsonNode[1];
    ProgressView.follow("segments " + run, display, () -> {
      OpsClient.Reply r = ops.get("ops/segments/generations/" + run);
      if (!r.ok()) throw new IllegalStateException(r.error());
      last[0] = r.body();
      String phase = r.body().path("phase").asText();
      boolean done = PHASES.get(PHASES.size() - 1).equals(phase);
      return new ProgressView.Snapshot(Math.max(0, PHASES.indexOf(phase)), PHASES.size() - 1,
          phase + ", " + r.body().path("segments").asLong() + " segments", done);
    });
    return last[0];
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Where a run's segment generation stands (phase, segments, manifest, done-to-manifest ms); "
          + "without RUN, every generation.")
  static final class Status extends OpsCommands.OpsCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "RUN", description = "The run (default: every generation).")
    String runId;

    @Override
    public Integer call() throws Exception {
      OpsClient ops = client();
      return print(runId == null ? ops.get("ops/segments/generations")
          : ops.get("ops/segments/generations/" + URLEncoder.encode(runId, StandardCharsets.UTF_8)));
    }
  }
}
