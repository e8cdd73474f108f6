package audience.cli;

import audience.auth.Role;
import audience.auth.TokenVerifier;
import audience.config.Settings;
import audience.local.OperatorToken;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Command-line parsing, without a service: the same CommandLine as {@link Main#main} (which would exit the
 * JVM), with picocli's writers and System.out/err captured (some commands print to System.err directly).
 */
class MainTest {
  private final StringWriter cliOut = new StringWriter();
  private final StringWriter cliErr = new StringWriter();
  private final ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
  private final ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
  private PrintStream savedOut;
  private PrintStream savedErr;

  @BeforeEach
  void capture() {
    savedOut = System.out;
    savedErr = System.err;
    System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(savedOut);
    System.setErr(savedErr);
  }

  private int run(String... args) {
    return new CommandLine(new Main())
        .setOut(new PrintWriter(cliOut, true))
        .setErr(new PrintWriter(cliErr, true))
        .execute(args);
  }

  private String out() {
    return cliOut + sysOut.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return cliErr + sysErr.toString(StandardCharsets.UTF_8);
  }

  @Test
  void ingestRefusesANonS3LocationWithExitTwo() {
    int code = run("ingest", "http://x", "--url", "http://127.0.0.1:1");
    assertThat(code).isEqualTo(2);
    assertThat(err()).contains("expected s3://bucket/prefix, got http://x");
    assertThat(out()).isEmpty();
  }

  @Test
  void ingestRefusesAnS3LocationWithoutBucket() {
    assertThat(run("ingest", "s3:///prefix/", "--url", "http://127.0.0.1:1")).isEqualTo(2);
    assertThat(err()).contains("expected s3://bucket/prefix");
  }

  @Test
  void ingestWithoutALocationIsAUsageError() {
    int code = run("ingest");
    assertThat(code).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(err()).contains("Missing required parameter").contains("s3://BUCKET/PREFIX");
  }

  @Test
  void helpListsEveryCommand() {
    int code = run("--help");
    assertThat(code).isZero();
    String help = out();
    assertThat(help).startsWith("Usage: audience");
    String commands = help.substring(help.indexOf("Commands:"));
    for (String command : new String[] {"up", "demo", "serve", "devstack", "generate", "ingest", "status", "pause",
        "resume", "cancel", "quarantine", "redrive", "members", "segments", "bookings", "book", "token", "bench",
        "help"}) {
      assertThat(commands).as("help lists %s", command).containsPattern("(?m)^\\s+" + command + "\\s");
    }
    assertThat(err()).isEmpty();
  }

  /** Every subcommand, at every depth, with its path: "segments regenerate". */
  private static Map<String, CommandLine> everySubcommand(CommandLine root, String prefix) {
    Map<String, CommandLine> all = new TreeMap<>();
    root.getSubcommands().forEach((name, sub) -> {
      if (!sub.getCommandName().equals(name)) return; // an alias
      String path = (prefix + " " + name).strip();
      all.put(path, sub);
      all.putAll(everySubcommand(sub, path));
    });
    return all;
  }

  @Test
  void everySubcommandHasADescriptionAndEveryOptionAndParameterToo() {
    Map<String, CommandLine> all = everySubcommand(new CommandLine(new Main()), "");
    assertThat(all).containsKeys("segments regenerate", "bookings run-creator", "members forget", "bench ingest",
        "token");
    all.forEach((path, sub) -> {
      CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
      assertThat(String.join(" ", spec.usageMessage().description())).as("description of %s", path).isNotBlank();
      spec.options().forEach(o -> assertThat(String.join(" ", o.description()))
          .as("%s %s", path, o.longestName()).isNotBlank());
      spec.positionalParameters().forEach(p -> assertThat(String.join(" ", p.description()))
          .as("%s %s", path, p.paramLabel()).isNotBlank());
    });
  }

  @Test
  void helpOfTheCommandAndOfEachCommandWithSubcommandsListsThemWithTheirDescriptions() {
    CommandLine root = new CommandLine(new Main());
    Map<String, CommandLine> all = everySubcommand(root, "");
    all.forEach((path, sub) -> {
      CommandLine parent = sub.getParent();
      String parentPath = parent == root ? "" : path.substring(0, path.lastIndexOf(' '));
      StringWriter help = new StringWriter();
      parent.usage(new PrintWriter(help));
      // picocli lists a command by its header when it has one (help's), else by its description's first line
      CommandLine.Model.UsageMessageSpec usage = sub.getCommandSpec().usageMessage();
      String firstLine = usage.header().length > 0 ? usage.header()[0] : usage.description()[0];
      String start = firstLine.substring(0, Math.min(firstLine.length(), 30));
      assertThat(help.toString()).as("help of '%s' lists %s", parentPath, path)
          .containsPattern("(?m)^\\s+" + java.util.regex.Pattern.quote(sub.getCommandName()) + "\\s+"
              + java.util.regex.Pattern.quote(start));
    });
  }

  @Test
  void everyOperatorCommandTakesUrlTokenAndJson() {
    for (String[] args : new String[][] {{"status"}, {"ingest", "s3://b/p"}, {"pause", "r"}, {"resume", "r"},
        {"cancel", "r"}, {"quarantine", "r"}, {"redrive", "r"}, {"segments"}, {"segments", "status"},
        {"segments", "regenerate", "r"}, {"bookings"}, {"bookings", "show", "b"}, {"bookings", "cancel", "b"},
        {"bookings", "run-creator"}, {"book", "s", "--campaign", "c", "--send-date", "2030-01-01"},
        {"members", "forget", "m-1"}}) {
      String[] full = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
          java.util.stream.Stream.of("--url", "http://h:1", "--token", "t", "--json")).toArray(String[]::new);
      CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(full);
      while (parsed.hasSubcommand()) parsed = parsed.subcommand();
      OpsCommands.OpsCommand c = (OpsCommands.OpsCommand) parsed.commandSpec().userObject();
      assertThat(c.url).as(String.join(" ", args)).isEqualTo("http://h:1");
      assertThat(c.token).isEqualTo("t");
      assertThat(c.asJson).isTrue();
    }
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    assertThat(run("frobnicate")).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(err()).contains("Unmatched argument").contains("frobnicate");
  }

  @Test
  void quarantineTakesARunAReasonAndJson() {
    CommandLine.ParseResult parsed = new CommandLine(new Main())
        .parseArgs("quarantine", "run-1", "--reason", "OUT_OF_RANGE", "--json", "--url", "http://h:1");
    OpsCommands.Quarantine q = (OpsCommands.Quarantine) parsed.subcommand().commandSpec().userObject();
    assertThat(q.runId).isEqualTo("run-1");
    assertThat(q.reason).isEqualTo("OUT_OF_RANGE");
    assertThat(q.asJson).isTrue();
    assertThat(q.pageSize).isEqualTo(audience.http.QuarantineQuery.DEFAULT_LIMIT);
    assertThat(q.url).isEqualTo("http://h:1");
  }

  @Test
  void quarantineWithoutARunIsAUsageError() {
    assertThat(run("quarantine")).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(err()).contains("Missing required parameter").contains("RUN");
  }

  @Test
  void quarantineRefusesAReasonThatIsNotAKindAndABadPageSizeBeforeAskingTheService() {
    assertThat(run("quarantine", "run-1", "--reason", "not json", "--url", "http://127.0.0.1:1")).isEqualTo(2);
    assertThat(err()).contains("--reason must be a rejection kind such as OUT_OF_RANGE, got not json");
    assertThat(run("quarantine", "run-1", "--page-size", "0", "--url", "http://127.0.0.1:1")).isEqualTo(2);
    assertThat(err()).contains("--page-size must be 1..1000, got 0");
  }

  @Test
  void redriveTakesARunAndWait() {
    CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs("redrive", "run-1", "--wait");
    OpsCommands.Redrive r = (OpsCommands.Redrive) parsed.subcommand().commandSpec().userObject();
    assertThat(r.runId).isEqualTo("run-1");
    assertThat(r.waitForIt).isTrue();
    assertThat(r.url).isEqualTo(OpsCommands.DEFAULT_URL);
    assertThat(run("redrive")).isEqualTo(CommandLine.ExitCode.USAGE);
  }

  @Test
  void quarantineReadsEveryPageOfTheServiceAndPrintsKeysAndReasons() throws Exception {
    List<String> asked = new CopyOnWriteArrayList<>();
    List<String> authorization = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/ops/ingestions/run-1/quarantine", exchange -> {
      String query = exchange.getRequestURI().getRawQuery();
      asked.add(query);
      authorization.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      String body = query.contains("after=")
          ? "{\"entries\":[{\"fileKey\":\"p/c.json\",\"kind\":\"EMPTY\",\"reason\":\"EMPTY: 0 bytes\"}],"
              + "\"next\":null}"
          : "{\"entries\":[{\"fileKey\":\"p/a.json\",\"kind\":\"NOT_JSON\",\"reason\":\"NOT_JSON: x\"},"
              + "{\"fileKey\":\"p/b.json\",\"kind\":\"EMPTY\",\"reason\":\"EMPTY: 0 bytes\"}],\"next\":\"cC9iLmpzb24\"}";
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
    try {
      int code = run("quarantine", "run-1", "--page-size", "2", "--url",
          "http://127.0.0.1:" + server.getAddress().getPort());
      assertThat(code).as(err()).isZero();
    } finally {
      server.stop(0);
    }
    assertThat(asked).containsExactly("limit=2", "limit=2&after=cC9iLmpzb24");
    assertThat(out().lines()).containsExactly("p/a.json\tNOT_JSON: x", "p/b.json\tEMPTY: 0 bytes",
        "p/c.json\tEMPTY: 0 bytes");
    assertThat(err()).contains("3 files quarantined by run run-1");
    // each request carried the operator token the CLI minted for itself with the local key
    TokenVerifier verifier = TokenVerifier.hs256(Settings.load().api().jwt());
    assertThat(authorization).hasSize(2).allSatisfy(h -> assertThat(verifier.verifyHeader(Optional.of(h)))
        .isInstanceOfSatisfying(TokenVerifier.Verified.class, v -> {
          assertThat(v.caller().role()).isEqualTo(Role.OPERATOR);
          assertThat(v.caller().subject()).isEqualTo(OperatorToken.CLI_SUBJECT_PREFIX
              + System.getProperty("user.name"));
        }));
  }

  /** A fake service: each path answers its bodies in turn (the last one again once they run out). */
  private static HttpServer fake(Map<String, List<String>> answers, List<String> asked) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    Map<String, java.util.concurrent.atomic.AtomicInteger> served = new java.util.concurrent.ConcurrentHashMap<>();
    server.createContext("/", exchange -> {
      String key = exchange.getRequestMethod() + " " + exchange.getRequestURI();
      asked.add(key);
      List<String> bodies = answers.get(key);
      int i = served.computeIfAbsent(key, k -> new java.util.concurrent.atomic.AtomicInteger()).getAndIncrement();
      byte[] bytes = (bodies == null ? "{\"error\":\"no such route\",\"status\":404}"
          : bodies.get(Math.min(i, bodies.size() - 1))).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(bodies == null ? 404 : 200, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
    return server;
  }

  @Test
  void segmentsRegenerateWaitFollowsTheGenerationToItsManifestAndJsonPrintsItAsOneLine() throws Exception {
    List<String> asked = new CopyOnWriteArrayList<>();
    HttpServer server = fake(Map.of(
        "POST /ops/segments/regenerate?run=run-1", List.of("{\"runId\":\"run-1\",\"phase\":\"scanning\"}"),
        "GET /ops/segments/generations/run-1", List.of("{\"runId\":\"run-1\",\"phase\":\"published\"}",
            "{\"runId\":\"run-1\",\"phase\":\"completed\",\"segments\":7}")), asked);
    try {
      int code = run("segments", "regenerate", "run-1", "--wait", "--json", "--url",
          "http://127.0.0.1:" + server.getAddress().getPort());
      assertThat(code).as(err()).isZero();
    } finally {
      server.stop(0);
    }
    assertThat(out().strip()).isEqualTo("{\"runId\":\"run-1\",\"phase\":\"completed\",\"segments\":7}");
    assertThat(asked).containsExactly("POST /ops/segments/regenerate?run=run-1",
        "GET /ops/segments/generations/run-1", "GET /ops/segments/generations/run-1");
    assertThat(err()).as("--json draws no progress").isEmpty();
  }

  @Test
  void bookingsRunCreatorWaitFollowsTheBookingsItStartedUntilEachEnded() throws Exception {
    List<String> asked = new CopyOnWriteArrayList<>();
    HttpServer server = fake(Map.of(
        "GET /ops/bookings?status=requested", List.of("[{\"bookingId\":\"b-1\"},{\"bookingId\":\"b-2\"}]"),
        "POST /ops/bookings/run-creator", List.of("{\"slot\":null,\"bookings\":2}"),
        "GET /ops/bookings/b-1", List.of("{\"bookingId\":\"b-1\",\"status\":\"uploading\"}",
            "{\"bookingId\":\"b-1\",\"status\":\"notified\"}"),
        "GET /ops/bookings/b-2", List.of("{\"bookingId\":\"b-2\",\"status\":\"failed\"}")), asked);
    try {
      int code = run("bookings", "run-creator", "--wait", "--json", "--url",
          "http://127.0.0.1:" + server.getAddress().getPort());
      assertThat(code).as(err()).isZero();
    } finally {
      server.stop(0);
    }
    assertThat(out().strip()).isEqualTo("[{\"bookingId\":\"b-1\",\"status\":\"notified\"},"
        + "{\"bookingId\":\"b-2\",\"status\":\"failed\"}]");
    assertThat(asked).startsWith("GET /ops/bookings?status=requested", "POST /ops/bookings/run-creator");
    // an ended booking is not asked again
    assertThat(asked.stream().filter("GET /ops/bookings/b-2"::equals)).hasSize(1);
  }

  @Test
  void statusWithoutARunIsATableOfRunsAndWithJsonTheServicesAnswer() throws Exception {
    String runs = "[{\"runId\":\"run-a\",\"state\":\"completed\",\"bucket\":\"raw\",\"prefix\":\"p/\","
        + "\"listed\":20,\"ingested\":18,\"quarantined\":2,\"startedAt\":\"2026-11-27T10:00:00Z\"}]";
    HttpServer server = fake(Map.of("GET /ops/ingestions", List.of(runs)), new CopyOnWriteArrayList<>());
    String url = "http://127.0.0.1:" + server.getAddress().getPort();
    try {
      assertThat(run("status", "--url", url)).as(err()).isZero();
      List<String> table = out().lines().toList();
      assertThat(table.get(0)).startsWith("RUN").contains("STATE").contains("QUARANTINED");
      assertThat(table.get(1))
          .containsPattern("^run-a\\s+completed\\s+20\\s+18\\s+2\\s+2026-11-27T10:00:00Z\\s+s3://raw/p/$");
      cliOut.getBuffer().setLength(0);
      sysOut.reset();
      assertThat(run("status", "--url", url, "--json")).isZero();
      assertThat(out().strip()).isEqualTo(runs);
    } finally {
      server.stop(0);
    }
  }
}
