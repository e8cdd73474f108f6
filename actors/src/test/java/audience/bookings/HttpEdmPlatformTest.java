package audience.bookings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import audience.bookings.EdmPlatform.ImportJob;
import audience.bookings.EdmPlatform.Profile;
import audience.bookings.EdmPlatform.RateLimited;
import audience.bookings.EdmPlatform.Refused;
import audience.bookings.EdmPlatform.RowError;
import audience.bookings.EdmPlatform.Status;
import audience.bookings.EdmPlatform.Unavailable;
import audience.config.Settings.EdmSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** HttpEdmPlatform's pure parts: status mapping, Retry-After, bodies, and the API key kept out of sight. */
class HttpEdmPlatformTest {
  private static final String KEY = "secret-edm-key-123";
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @Test
  void statusesMapToTheirExceptions() {
    assertThat(HttpEdmPlatform.failure("create", 429, Optional.of("3"), CLOCK))
        .isInstanceOfSatisfying(RateLimited.class, r -> assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(3)));
    assertThat(HttpEdmPlatform.failure("create", 500, Optional.empty(), CLOCK)).isInstanceOf(Unavailable.class);
    assertThat(HttpEdmPlatform.failure("create", 503, Optional.empty(), CLOCK)).isInstanceOf(Unavailable.class);
    assertThat(HttpEdmPlatform.failure("create", 401, Optional.empty(), CLOCK)).isInstanceOf(Refused.class)
        .hasMessageContaining("401");
    assertThat(HttpEdmPlatform.failure("create", 413, Optional.empty(), CLOCK)).isInstanceOf(Refused.class);
    assertThat(HttpEdmPlatform.failure("poll", new HttpTimeoutException("request timed out")))
        .isInstanceOf(Unavailable.class).hasMessageContaining("HttpTimeoutException");
  }

  @Test
  void retryAfterIsSecondsOrAnHttpDateAndOneSecondWhenUnreadable() {
    assertThat(HttpEdmPlatform.retryAfter(Optional.of("120"), CLOCK)).isEqualTo(Duration.ofMinutes(2));
    assertThat(HttpEdmPlatform.retryAfter(Optional.of("Sun, 01 Mar 2026 10:00:30 GMT"), CLOCK))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(HttpEdmPlatform.retryAfter(Optional.of("Sun, 01 Mar 2026 09:00:00 GMT"), CLOCK))
        .isEqualTo(Duration.ZERO);
    assertThat(HttpEdmPlatform.retryAfter(Optional.empty(), CLOCK)).isEqualTo(HttpEdmPlatform.DEFAULT_RETRY_AFTER);
    assertThat(HttpEdmPlatform.retryAfter(Optional.of("soon"), CLOCK)).isEqualTo(HttpEdmPlatform.DEFAULT_RETRY_AFTER);
    assertThat(HttpEdmPlatform.retryAfter(Optional.of("-4"), CLOCK)).isEqualTo(HttpEdmPlatform.DEFAULT_RETRY_AFTER);
  }

  @Test
  void aJobIsReadFromTheContractsShape() {
    ImportJob job = HttpEdmPlatform.parseJob("poll", """
        {"jobId": "j1", "tag": "b1/c0", "status": "complete", "imported": 2, "rejected": 1,
         "errors": [{"memberId": "m3", "reason": "invalid email"}]}""");
    assertThat(job).isEqualTo(new ImportJob("j1", "b1/c0", Status.COMPLETE, 2, 1,
        List.of(new RowError("m3", "invalid email"))));
    assertThat(job.done()).isTrue();
    assertThatThrownBy(() -> HttpEdmPlatform.parseJob("poll", "{\"status\": \"exploded\"}"))
        .isInstanceOf(Unavailable.class);
    assertThatThrownBy(() -> HttpEdmPlatform.parseJob("poll", "<html>")).isInstanceOf(Unavailable.class);
  }

  @Test
  void theImportBodyCarriesTagAndProfiles() throws Exception {
    byte[] body = HttpEdmPlatform.importBody("b1/c0", List.of(new Profile("m1", "a@example.test", "Bondi", "NSW")));
    assertThat(new ObjectMapper().readTree(body).toString()).isEqualTo(
        "{\"tag\":\"b1/c0\",\"profiles\":[{\"memberId\":\"m1\",\"email\":\"a@example.test\",\"suburb\":\"Bondi\","
            + "\"state\":\"NSW\"}]}");
  }

  @Test
  void theKeyIsNeverShownAndAMissingSettingIsNamed() {
    HttpEdmPlatform platform = HttpEdmPlatform.create(new EdmSettings("http://127.0.0.1:1/", KEY, TIMEOUT, TIMEOUT));
    assertThat(platform.toString()).doesNotContain(KEY).contains("http://127.0.0.1:1/v1/imports");

    assertThatThrownBy(() -> HttpEdmPlatform.create(new EdmSettings("", KEY, TIMEOUT, TIMEOUT)))
        .hasMessageContaining("base-url").hasMessageNotContaining(KEY);
    assertThatThrownBy(() -> HttpEdmPlatform.create(new EdmSettings("http://127.0.0.1:1", "", TIMEOUT, TIMEOUT)))
        .hasMessageContaining("AUDIENCE_EDM_API_KEY");
  }
}
