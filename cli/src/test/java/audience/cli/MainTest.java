package audience.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

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
        "resume", "cancel", "bench", "help"}) {
      assertThat(commands).as("help lists %s", command).containsPattern("(?m)^\\s+" + command + "\\s");
    }
    assertThat(err()).isEmpty();
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    assertThat(run("frobnicate")).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(err()).contains("Unmatched argument").contains("frobnicate");
  }
}
