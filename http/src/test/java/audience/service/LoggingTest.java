package audience.service;

import audience.config.Settings;
import audience.config.Settings.LoggingSettings;
import audience.testkit.Poll;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The aws profile logs one JSON object per line, with the MDC and key-value pairs as fields; local logs text. */
class LoggingTest {
  private static final Logger log = LoggerFactory.getLogger(LoggingTest.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theAwsProfileLogsJsonAndTheLocalProfileText() {
    assertThat(Settings.load(Map.of("audience.profile", Settings.PROFILE_AWS)).logging().format())
        .isEqualTo(LoggingSettings.Format.JSON);
    assertThat(Settings.load(Map.of("audience.profile", Settings.PROFILE_LOCAL)).logging().format())
        .isEqualTo(LoggingSettings.Format.TEXT);
  }

  @Test
  void jsonLinesCarryTheMdcAndKeyValuesOfWhatHappenedToWhom() throws Exception {
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      Logging.apply(new LoggingSettings(LoggingSettings.Format.JSON));
      log.atInfo().addKeyValue("fileKey", "members/0001.json").log("file {} quarantined", "members/0001.json");
      // An entity's line as Pekko logs it: the MDC set around the message. Built by hand, because SLF4J's static
      // MDC may be a stand-in in a test JVM where another test started an actor system while SLF4J initialised.
      ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) log;
      ch.qos.logback.classic.spi.LoggingEvent entity = new ch.qos.logback.classic.spi.LoggingEvent(
          LoggingTest.class.getName(), logger, ch.qos.logback.classic.Level.INFO, "run {} chunk settled", null,
          new Object[] {"run-json-1"});
      entity.setMDCPropertyMap(Map.of("persistenceId", "IngestionRun|run-json-1"));
      logger.callAppenders(entity);
      String kv = Poll.until("the key-value line written", Duration.ofSeconds(10), Duration.ofMillis(20),
          () -> Arrays.stream(captured.toString(StandardCharsets.UTF_8).split("\n"))
              .filter(l -> l.contains("quarantined")).findFirst().orElse(null), l -> l != null);
      JsonNode quarantined = JSON.readTree(kv);
      assertThat(quarantined.path("formattedMessage").asText()).isEqualTo("file members/0001.json quarantined");
      assertThat(quarantined.path("kvpList").toString()).contains("fileKey").contains("members/0001.json");
      String line = Poll.until("the JSON line written", Duration.ofSeconds(10), Duration.ofMillis(20),
          () -> Arrays.stream(captured.toString(StandardCharsets.UTF_8).split("\n"))
              .filter(l -> l.contains("run-json-1")).findFirst().orElse(null), l -> l != null);
      JsonNode event = JSON.readTree(line);
      assertThat(event.path("level").asText()).isEqualTo("INFO");
      assertThat(event.path("loggerName").asText()).isEqualTo(LoggingTest.class.getName());
      assertThat(event.path("formattedMessage").asText()).isEqualTo("run run-json-1 chunk settled");
      assertThat(event.path("mdc").path("persistenceId").asText()).isEqualTo("IngestionRun|run-json-1");
    } finally {
      Logging.apply(new LoggingSettings(LoggingSettings.Format.TEXT));
      System.setErr(saved);
    }
  }
}
