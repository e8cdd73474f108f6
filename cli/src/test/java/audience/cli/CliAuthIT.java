package audience.cli;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.devstack.DevStack;
import audience.local.OperatorToken;
import audience.service.Service;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI against a running node (its /ops behind the operator's token): the token the CLI mints for itself is
 * accepted, a viewer's given by --token is refused 403, and AUDIENCE_TOKEN (read by a CLI process of its own) takes
 * the place of the minted one; on the aws profile, without a token, the CLI says what to set.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliAuthIT {
  private static final long PROCESS_TIMEOUT_SECONDS = 60;
  private final ObjectMapper json = new ObjectMapper();
  private Service service;
  private TokenIssuer issuer;

  @BeforeAll
  void start() {
    service = Service.start(TestNodes.settings(DevStack.shared(), Map.of("audience.http.port", 0)));
    issuer = new TokenIssuer(service.node().settings().api().jwt());
  }

  @AfterAll
  void stop() {
    if (service != null) service.close();
  }

  /** Exit code, stdout and stderr of a command run in this JVM (System.out/err captured: commands print there). */
  private record Run(int code, String out, String err) {}

  private Run inProcess(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = new CommandLine(new Main()).execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
    }
  }

  /** The CLI as its own process (Main exits the JVM) with {@code env} added to this one's. */
  private Run process(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove(OperatorToken.ENV);
    pb.environment().putAll(env);
    File out = File.createTempFile("cli-out", ".txt");
    File err = File.createTempFile("cli-err", ".txt");
    Process p = pb.redirectOutput(out).redirectError(err).start();
    assertThat(p.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("the CLI process ended").isTrue();
    return new Run(p.exitValue(), java.nio.file.Files.readString(out.toPath()),
        java.nio.file.Files.readString(err.toPath()));
  }

  @Test
  void theTokenTheCliMintsForItselfIsAcceptedAndJsonIsOneLineOfTheServicesAnswer() throws Exception {
    Run r = inProcess("status", "--url", service.url(), "--json");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().strip().lines()).hasSize(1);
    JsonNode runs = json.readTree(r.out());
    assertThat(runs.isArray()).as(r.out()).isTrue();
  }

  @Test
  void aViewersTokenGivenWithTokenIsRefused403AndTheCliSaysSo() {
    Run r = inProcess("status", "--url", service.url(), "--token", issuer.mint("vera", Role.VIEWER,
        Instant.now()));
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("error (403)").contains("operator").contains("was refused");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void audienceTokenTakesThePlaceOfTheMintedToken() throws Exception {
    Run viewer = process(Map.of(OperatorToken.ENV, issuer.mint("vera", Role.VIEWER, Instant.now())),
        "status", "--url", service.url(), "--json");
    assertThat(viewer.code()).as(viewer.err()).isEqualTo(1);
    assertThat(viewer.err()).contains("error (403)").contains("this token's role is viewer");
    Run garbage = process(Map.of(OperatorToken.ENV, "not-a-token"), "status", "--url", service.url());
    assertThat(garbage.code()).isEqualTo(1);
    assertThat(garbage.err()).contains("error (401)");
    Run operator = process(Map.of(OperatorToken.ENV, issuer.mint("olga", Role.OPERATOR, Instant.now())),
        "members", "forget", "m-cliauth1", "--url", service.url(), "--json");
    assertThat(operator.code()).as(operator.err()).isZero();
    assertThat(json.readTree(operator.out()).path("suppressed").asBoolean()).isTrue();
  }

  @Test
  void onTheAwsProfileWithoutATokenTheCliSaysWhatToSet() throws Exception {
    Run r = process(Map.of("AUDIENCE_PROFILE", "aws"), "status", "--url", service.url());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("set " + OperatorToken.ENV);
  }
}
