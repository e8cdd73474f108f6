package audience.cli;

import audience.http.QuarantineQuery;
import audience.local.OperatorToken;
import audience.store.QuarantineStore;
import audience.store.RunPhase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** Operator commands: thin clients of the /ops endpoints of a running service. */
final class OpsCommands {
  private OpsCommands() {}

  static final String DEFAULT_URL = "http://127.0.0.1:8080";
  private static final int HTTP_UNAUTHORIZED = 401;
  private static final int HTTP_FORBIDDEN = 403;

  /**
   * What every operator command shares: the service's URL, the bearer token ({@link OperatorToken}: --token, else
   * AUDIENCE_TOKEN, else one the CLI mints with the local key), and --json (machine output: the service's answer as
   * one line of JSON on stdout, no progress shown).
   */
  abstract static class OpsCommand implements Callable<Integer> {
    @Option(names = "--url", description = "Service URL (default: ${DEFAULT-VALUE}).", defaultValue = DEFAULT_URL)
    String url;
    @Option(names = "--token", paramLabel = "JWT", description = "Bearer token for /ops (default: the "
        + OperatorToken.ENV + " variable, else an operator token the CLI mints with the local key for cli:<user>; "
        + "the variable keeps it out of the process list).")
    String token;
    @Option(names = "--json", description = "Machine output: the service's answer as one line of JSON on stdout, "
        + "no progress bar.")
    boolean asJson;

    final ObjectMapper json = new ObjectMapper();
    private OperatorToken operatorToken;

    /** A client of {@code --url} carrying this command's token. */
    OpsClient client() {
      if (operatorToken == null) operatorToken = OperatorToken.forCli(Optional.ofNullable(token));
      return new OpsClient(url, operatorToken);
    }

    /** How progress is shown: a bar on a terminal, lines in a log, nothing with --json. */
    ProgressView.Display display() {
      return ProgressView.Display.forOutput(asJson);
    }

    int print(OpsClient.Reply reply) throws Exception {
      if (!reply.ok()) return failed(reply);
      return printJson(reply.body());
    }

    /** An error answer on stderr (with what to do about a refused token); exit code 1. */
    int failed(OpsClient.Reply reply) {
      System.err.println("error (" + reply.status() + "): " + reply.error());
      if (reply.status() == HTTP_UNAUTHORIZED || reply.status() == HTTP_FORBIDDEN) {
        System.err.println(operatorToken != null && operatorToken.given()
            ? "the token from --token or " + OperatorToken.ENV + " was refused: it must be a valid operator token"
            : "the service refused the token the CLI minted with audience.api.jwt.local-secret: the service must "
                + "have the same key (AUDIENCE_API_JWT_SECRET), or set " + OperatorToken.ENV
                + " to an operator token");
      }
      return 1;
    }

    /** {@code body} on stdout: one line with --json, else pretty-printed. */
    int printJson(JsonNode body) throws Exception {
      System.out.println(asJson ? json.writeValueAsString(body)
          : json.writerWithDefaultPrettyPrinter().writeValueAsString(body));
      return 0;
    }

    /** Prints the answer to a run's start, or with {@code follow} follows the run it names and prints its end. */
    int started(OpsClient ops, OpsClient.Reply reply, boolean follow) throws Exception {
      if (!follow || !reply.ok()) return print(reply);
      return printJson(watch(ops, reply.body().path("runId").asText()));
    }

    /**
     * Follows a run with a progress bar until it completes or is cancelled, then prints its bad files by reason (on
     * stderr, with how to list them); returns its last status.
     */
    JsonNode watch(OpsClient ops, String runId) throws InterruptedException {
      JsonNode last = follow(ops, runId);
      OpsClient.Reply summary = ops.get("ops/ingestions/" + runId + "/quarantine/summary");
      if (!summary.ok()) throw new IllegalStateException(summary.error());
      Map<String, Long> byReason = new TreeMap<>();
      summary.body().path("byReason").fields().forEachRemaining(e -> byReason.put(e.getKey(), e.getValue().asLong()));
      QuarantineReport.lines(runId, byReason, url).forEach(System.err::println);
      return last;
    }

    private JsonNode follow(OpsClient ops, String runId) throws InterruptedException {
      JsonNode[] last = new JsonNode[1];
      ProgressView.follow(runId, display(), () -> {
        OpsClient.Reply r = ops.get("ops/ingestions/" + runId);
        if (!r.ok()) throw new IllegalStateException(r.error());
        last[0] = r.body();
        RunPhase state = RunPhase.fromWire(r.body().path("state").asText());
        long total = r.body().path("listingFinished").asBoolean() ? r.body().path("listed").asLong()
            : r.body().path("expectedFiles").asLong(-1);
        return new ProgressView.Snapshot(r.body().path("settled").asLong(), total,
            state.wire() + ", quarantined " + r.body().path("quarantined").asLong() + ", ETA "
                + r.body().path("etaSeconds").asLong(-1) + "s",
            state.ended());
      });
      return last[0];
    }
  }

  @Command(name = "ingest", mixinStandardHelpOptions = true, description = "Start a run over s3://bucket/prefix.")
  static final class Ingest extends OpsCommand {
    @Parameters(index = "0", paramLabel = "s3://BUCKET/PREFIX", description = "Where the upload's files are.")
    String location;
    @Option(names = "--expected", description = "Files the upload is known to hold (a mismatch is warned about).")
    Long expected;
    @Option(names = "--upload-id", description = "Idempotency key: the same id names the same run.") String uploadId;
    @Option(names = "--wait", description = "Follow the run with a progress bar until it is done.") boolean waitForIt;

    @Override
    public Integer call() throws Exception {
      URI uri = URI.create(location);
      if (!"s3".equals(uri.getScheme()) || uri.getHost() == null) {
        System.err.println("error: expected s3://bucket/prefix, got " + location);
        return 2;
      }
      ObjectNode body = json.createObjectNode().put("bucket", uri.getHost())
          .put("prefix", uri.getPath().startsWith("/") ? uri.getPath().substring(1) : uri.getPath());
      if (expected != null) body.put("expectedFiles", expected);
      if (uploadId != null) body.put("uploadId", uploadId);
      OpsClient ops = client();
      return started(ops, ops.post("ops/ingestions", body.toString()), waitForIt);
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Every run as a table (newest first), or one run's progress (listed, done, quarantined, rate, "
          + "ETA); --json for the service's answer.")
  static final class Status extends OpsCommand {
    private static final String RUN_ROW = "%-40s %-10s %8s %9s %12s  %-24s %s%n";
    @Parameters(index = "0", arity = "0..1", paramLabel = "RUN", description = "The run (default: every run).")
    String runId;
    @Option(names = "--watch", description = "Follow the run with a progress bar until it is done.") boolean watch;

    @Override
    public Integer call() throws Exception {
      OpsClient ops = client();
      if (runId == null) {
        OpsClient.Reply runs = ops.get("ops/ingestions");
        if (asJson || !runs.ok()) return print(runs);
        System.out.printf(RUN_ROW, "RUN", "STATE", "LISTED", "INGESTED", "QUARANTINED", "STARTED", "SOURCE");
        for (JsonNode r : runs.body()) {
          System.out.printf(RUN_ROW, r.path("runId").asText(), r.path("state").asText(), r.path("listed").asLong(),
              r.path("ingested").asLong(), r.path("quarantined").asLong(), r.path("startedAt").asText("-"),
              "s3://" + r.path("bucket").asText() + "/" + r.path("prefix").asText());
        }
        return 0;
      }
      if (!watch) return print(ops.get("ops/ingestions/" + runId));
      return printJson(watch(ops, runId));
    }
  }

  @Command(name = "quarantine", mixinStandardHelpOptions = true,
      description = "List the files a run quarantined, in key order, with their reasons (a page at a time from the "
          + "service): one 'key<TAB>reason' line each, or with --json one JSON object (fileKey, kind, reason, at) "
          + "per line.")
  static final class Quarantine extends OpsCommand {
    @Parameters(index = "0", paramLabel = "RUN", description = "The run whose quarantine to list.") String runId;
    @Option(names = "--reason", paramLabel = "KIND", description = "Only files of this kind, e.g. OUT_OF_RANGE.")
    String reason;
    @Option(names = "--page-size", defaultValue = "" + QuarantineQuery.DEFAULT_LIMIT,
        description = "Files asked per request (default: ${DEFAULT-VALUE}).") int pageSize;

    @Override
    public Integer call() throws Exception {
      if (reason != null && !reason.matches(QuarantineQuery.KIND_PATTERN)) {
        System.err.println("error: --reason must be a rejection kind such as OUT_OF_RANGE, got " + reason);
        return 2;
      }
      if (pageSize < 1 || pageSize > QuarantineStore.MAX_PAGE) {
        System.err.println("error: --page-size must be 1.." + QuarantineStore.MAX_PAGE + ", got " + pageSize);
        return 2;
      }
      OpsClient ops = client();
      long listed = 0;
      String after = null;
      do {
        OpsClient.Reply page = ops.get(QuarantineQuery.path(runId, reason, pageSize, after));
        if (!page.ok()) return print(page);
        for (JsonNode e : page.body().path("entries")) {
          System.out.println(asJson ? json.writeValueAsString(e)
              : e.path("fileKey").asText() + "\t" + e.path("reason").asText());
          listed++;
        }
        after = page.body().path("next").isTextual() ? page.body().path("next").asText() : null;
      } while (after != null);
      System.err.println(listed + (listed == 1 ? " file" : " files") + " quarantined by run " + runId
          + (reason == null ? "" : " for " + reason));
      return 0;
    }
  }

  @Command(name = "redrive", mixinStandardHelpOptions = true,
      description = "Re-ingest the files a run quarantined, once their sources are fixed: a new run (RUN-r1, -r2 ...) "
          + "over exactly those keys, linked to RUN. Asked again while it runs, it answers that run.")
  static final class Redrive extends OpsCommand {
    @Parameters(index = "0", paramLabel = "RUN", description = "The run whose quarantined files to re-ingest.")
    String runId;
    @Option(names = "--wait", description = "Follow the redrive run with a progress bar until it is done.")
    boolean waitForIt;

    @Override
    public Integer call() throws Exception {
      OpsClient ops = client();
      return started(ops, ops.post("ops/ingestions/" + runId + "/redrive", ""), waitForIt);
    }
  }

  /** A state change of one run: POST /ops/ingestions/{id}/{action}. */
  abstract static class ControlCommand extends OpsCommand {
    @Parameters(index = "0", paramLabel = "RUN", description = "The run.") String runId;

    abstract String action();

    @Override
    public Integer call() throws Exception {
      return print(client().post("ops/ingestions/" + runId + "/" + action(), ""));
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause a run (chunks in flight finish).")
  static final class Pause extends ControlCommand {
    String action() {
      return "pause";
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused run.")
  static final class Resume extends ControlCommand {
    String action() {
      return "resume";
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel a run: nothing more is dispatched; unprocessed files stay listed as not processed.")
  static final class Cancel extends ControlCommand {
    String action() {
      return "cancel";
    }
  }
}
