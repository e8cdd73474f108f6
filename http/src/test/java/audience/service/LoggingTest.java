package audience.service;

import audience.config.Settings;
import audience.config.Settings.LoggingSettings;
import audience.testkit.Poll;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

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
      MDC.put("runId", "run-json-1");
      try {
        log.atInfo().addKeyValue("fileKey", "members/0001.json").log("file {} quarantined", "members/0001.json");
      } finally {
        MDC.remove("runId");
      }
      String line = Poll.until("the JSON line written", Duration.ofSeconds(10), Duration.ofMillis(20),
          () -> Arrays.stream(captured.toString(StandardCharsets.UTF_8).split("\n"))
              .filter(l -> l.contains("run-json-1")).findFirst().orElse(null), l -> l != null);
      JsonNode event = JSON.readTree(line);
      assertThat(event.path("level").asText()).isEqualTo("INFO");
      assertThat(event.path("loggerName").asText()).isEqualTo(LoggingTest.class.getName());
      assertThat(event.path("formattedMessage").asText()).isEqualTo("file members/0001.json quarantined");
      assertThat(event.path("mdc").path("runId").asText()).isEqualTo("run-json-1");
      assertThat(event.path("kvpList").toString()).contains("fileKey").contains("members/0001.json");
    } finally {
      Logging.apply(new LoggingSettings(LoggingSettings.Format.TEXT));
      System.setErr(saved);
    }
  }
}
