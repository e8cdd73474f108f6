package audience.bookings;

import static org.assertj.core.api.Assertions.assertThat;

import audience.bookings.EdmPlatform.ImportJob;
import audience.bookings.EdmPlatform.Profile;
import audience.bookings.EdmPlatform.RateLimited;
import audience.bookings.EdmPlatform.Refused;
import audience.bookings.EdmPlatform.RowError;
import audience.bookings.EdmPlatform.Status;
import audience.bookings.EdmPlatform.Unavailable;
import audience.config.Settings.EdmSettings;
import audience.devstack.DevStack;
import audience.devstack.EdmSandboxClient;
import audience.devstack.EdmSandboxFault;
import audience.devstack.EdmSandboxFault.Call;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * HttpEdmPlatform against the devstack's EDM sandbox, configured as the local profile configures it (base URL from
 * the devstack, the sandbox's key from audience-local.conf): jobs, per-row rejects, limits, a wrong key, and each
 * scripted failure; what the sandbox imported is read back through its control API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpEdmPlatformIT {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final String BAD_EMAIL = "no-at-sign.example.test";
  /** A request timeout well under the scripted slowness, and the slowness itself. */
  private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);
  private static final Duration SLOW = Duration.ofSeconds(3);
  /** Suburb padding that takes 10,000 profiles over the 5 MiB limit of one job. */
  private static final int OVERSIZE_SUBURB_CHARS = 600;
  private static final int MAX_PROFILES = 10_000;

  private EdmSettings settings;
  private HttpEdmPlatform platform;
  private EdmSandboxClient sandbox;
  private int tags;

  @BeforeAll
  void start() {
    DevStack devstack = DevStack.shared();
    settings = TestNodes.settings(devstack, Map.of()).bookings().edm();
    platform = HttpEdmPlatform.create(settings);
    sandbox = devstack.edmSandbox();
  }

  @BeforeEach
  void reset() {
    sandbox.reset();
  }

  private String tag() {
    return "booking-it/chunk-" + ++tags;
  }

  private static Profile profile(String memberId, String suburb) {
    return new Profile(memberId, memberId + "@example.test", suburb, "NSW");
  }

  private static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  private static Throwable failureOf(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("the call succeeded");
  }

  private ImportJob awaitDone(String jobId) {
    return Poll.until("job " + jobId + " done", JOB_TIMEOUT, POLL, () -> join(platform.job(jobId)), ImportJob::done);
  }

  @Test
  void aJobCompletesWithItsRejectsIsFoundByTagAndUpsertsByMemberId() {
    String tag = tag();
    String jobId = join(platform.createImport(tag, List.of(profile("m1", "Bondi"), profile("m2", "Manly"),
        new Profile("m3", BAD_EMAIL, "Coogee", "NSW"))));

    ImportJob done = awaitDone(jobId);
    assertThat(done).isEqualTo(new ImportJob(jobId, tag, Status.COMPLETE, 2, 1,
        List.of(new RowError("m3", "invalid email"))));
    assertThat(done.errors().toString()).doesNotContain(BAD_EMAIL);
    assertThat(join(platform.findByTag(tag))).contains(done);
    assertThat(join(platform.findByTag(tag + "-never"))).isEmpty();
    assertThat(sandbox.importCounts()).isEqualTo(Map.of("m1", 1, "m2", 1));

    String again = join(platform.createImport(tag(), List.of(profile("m1", "Randwick"))));
    assertThat(awaitDone(again).imported()).isEqualTo(1);
    assertThat(sandbox.importCounts()).isEqualTo(Map.of("m1", 2, "m2", 1));
    assertThat(sandbox.member("m1").orElseThrow().profile().suburb()).isEqualTo("Randwick");
  }

  @Test
  void beyondTenThousandProfilesOrFiveMebibytesIsRefusedWith413() {
    List<Profile> tooMany = new ArrayList<>();
    for (int i = 0; i <= MAX_PROFILES; i++) {
      tooMany.add(profile("m" + i, "Bondi"));
    }
    assertThat(failureOf(platform.createImport(tag(), tooMany))).isInstanceOf(Refused.class)
        .hasMessageContaining("413");

    String suburb = "S".repeat(OVERSIZE_SUBURB_CHARS);
    List<Profile> tooLarge = tooMany.subList(0, MAX_PROFILES).stream()
        .map(p -> new Profile(p.memberId(), p.email(), suburb, p.state())).toList();
    assertThat(failureOf(platform.createImport(tag(), tooLarge))).isInstanceOf(Refused.class)
        .hasMessageContaining("413");
    assertThat(sandbox.jobs()).isEmpty();
  }

  @Test
  void aWrongKeyIsRefusedWith401AndNoKeyShowsInTheError() {
    String wrongKey = "wrong-" + settings.apiKey();
    HttpEdmPlatform wrong = HttpEdmPlatform.create(new EdmSettings(settings.baseUrl(), wrongKey,
        settings.requestTimeout(), settings.connectTimeout()));

    Throwable refused = failureOf(wrong.createImport(tag(), List.of(profile("m1", "Bondi"))));

    assertThat(refused).isInstanceOf(Refused.class).hasMessageContaining("401")
        .hasMessageNotContaining(wrongKey).hasMessageNotContaining(settings.apiKey());
    assertThat(wrong.toString()).doesNotContain(wrongKey);
    assertThat(sandbox.jobs()).isEmpty();
  }

  @Test
  void a429IsRateLimitedWithItsRetryAfter() {
    sandbox.script(EdmSandboxFault.rateLimited(Duration.ofSeconds(2)).on(Call.FIND));

    Throwable limited = failureOf(platform.findByTag(tag()));

    assertThat(limited).isInstanceOfSatisfying(RateLimited.class,
        r -> assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(2)));
    assertThat(join(platform.findByTag("anything"))).isEqualTo(Optional.empty());
  }

  @Test
  void a500ADroppedConnectionAndATimeoutAreUnavailableAndCreateNothing() {
    sandbox.script(EdmSandboxFault.serverError(500), EdmSandboxFault.drop().on(Call.CREATE));

    assertThat(failureOf(platform.createImport(tag(), List.of(profile("m1", "Bondi")))))
        .isInstanceOf(Unavailable.class).hasMessageContaining("500");
    assertThat(failureOf(platform.createImport(tag(), List.of(profile("m1", "Bondi")))))
        .isInstanceOf(Unavailable.class).hasMessageContaining("no answer");
    assertThat(sandbox.jobs()).isEmpty();

    sandbox.script(EdmSandboxFault.slow(SLOW).on(Call.FIND));
    HttpEdmPlatform impatient = HttpEdmPlatform.create(new EdmSettings(settings.baseUrl(), settings.apiKey(),
        SHORT_TIMEOUT, settings.connectTimeout()));
    assertThat(failureOf(impatient.findByTag(tag()))).isInstanceOf(Unavailable.class)
        .hasMessageContaining("HttpTimeoutException");
    assertThat(sandbox.pendingFaults()).isEmpty();
  }

  @Test
  void aJobScriptedToFailEndsFailedAndImportsNobody() {
    sandbox.script(EdmSandboxFault.failJob());
    String tag = tag();

    String jobId = join(platform.createImport(tag, List.of(profile("m1", "Bondi"))));
    ImportJob failed = awaitDone(jobId);

    assertThat(failed.status()).isEqualTo(Status.FAILED);
    assertThat(failed.imported()).isZero();
    assertThat(join(platform.findByTag(tag))).map(ImportJob::status).contains(Status.FAILED);
    assertThat(sandbox.importCounts()).isEmpty();
    assertThat(sandbox.calls()).containsEntry("create", 1);
  }
}
