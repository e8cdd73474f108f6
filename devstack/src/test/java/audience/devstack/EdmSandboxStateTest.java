package audience.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import audience.devstack.EdmSandboxFault.Call;
import audience.devstack.EdmSandboxState.Job;
import audience.devstack.EdmSandboxState.Profile;
import audience.devstack.EdmSandboxState.RowError;
import audience.devstack.EdmSandboxState.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sandbox's jobs, members and script without HTTP. */
class EdmSandboxStateTest {
  private static final String BAD_EMAIL = "not-an-email";

  private final EdmSandboxState state = new EdmSandboxState();

  private static Profile profile(String memberId, String suburb) {
    return new Profile(memberId, memberId + "@example.test", suburb, "NSW");
  }

  @Test
  void rowsWithAnInvalidEmailOrNoMemberIdAreRejectedByMemberIdWithoutTheEmail() {
    Job job = state.create("booking-1/chunk-0", List.of(profile("m1", "Bondi"),
        new Profile("m2", BAD_EMAIL, "Manly", "NSW"), new Profile(" ", "x@example.test", "Manly", "NSW"),
        new Profile("m3", null, "Manly", "NSW")), false);

    assertThat(job.accepted()).extracting(Profile::memberId).containsExactly("m1");
    assertThat(job.errors()).containsExactly(new RowError("m2", EdmSandboxState.INVALID_EMAIL),
        new RowError("", EdmSandboxState.MISSING_MEMBER_ID), new RowError("m3", EdmSandboxState.INVALID_EMAIL));
    assertThat(job.errors().toString()).doesNotContain(BAD_EMAIL);
  }

  @Test
  void countsAndErrorsShowOnlyOnceTheJobIsComplete() {
    Job job = state.create("t", List.of(profile("m1", "Bondi"), new Profile("m2", BAD_EMAIL, "x", "NSW")), false);
    assertThat(job.status()).isEqualTo(Status.QUEUED);
    assertThat(job.imported()).isZero();
    assertThat(job.visibleErrors()).isEmpty();

    assertThat(state.start(job.jobId()).orElseThrow().status()).isEqualTo(Status.PROCESSING);
    assertThat(state.importCounts()).isEmpty();

    Job done = state.finish(job.jobId()).orElseThrow();
    assertThat(done.status()).isEqualTo(Status.COMPLETE);
    assertThat(done.imported()).isEqualTo(1);
    assertThat(done.rejected()).isEqualTo(1);
    assertThat(done.visibleErrors()).containsExactly(new RowError("m2", EdmSandboxState.INVALID_EMAIL));
  }

  @Test
  void importsUpsertByMemberIdAndCountOncePerJob() {
    Job first = state.create("a", List.of(profile("m1", "Bondi"), profile("m1", "Coogee"), profile("m2", "Manly")),
        false);
    state.finish(first.jobId());
    Job second = state.create("b", List.of(profile("m1", "Randwick")), false);
    state.finish(second.jobId());
    state.finish(second.jobId()); // a job ends once

    assertThat(state.importCounts()).isEqualTo(Map.of("m1", 2, "m2", 1));
    assertThat(state.member("m1").orElseThrow().profile().suburb()).isEqualTo("Randwick");
    assertThat(state.member("m3")).isEmpty();
  }

  @Test
  void aFailingJobEndsFailedAndImportsNothing() {
    Job job = state.create("t", List.of(profile("m1", "Bondi")), true);
    Job failed = state.finish(job.jobId()).orElseThrow();

    assertThat(failed.status()).isEqualTo(Status.FAILED);
    assertThat(failed.done()).isTrue();
    assertThat(failed.imported()).isZero();
    assertThat(state.importCounts()).isEmpty();
  }

  @Test
  void aTagFindsItsMostRecentJob() {
    Job first = state.create("booking-7/chunk-1", List.of(profile("m1", "Bondi")), true);
    Job again = state.create("booking-7/chunk-1", List.of(profile("m1", "Bondi")), false);
    state.create("booking-7/chunk-2", List.of(profile("m2", "Bondi")), false);

    assertThat(again.jobId()).isNotEqualTo(first.jobId());
    assertThat(state.byTag("booking-7/chunk-1")).map(Job::jobId).contains(again.jobId());
    assertThat(state.byTag("booking-8/chunk-1")).isEmpty();
  }

  @Test
  void scriptedAnswersAreTakenOnceInOrderByTheCallsTheyMatch() {
    state.script(List.of(EdmSandboxFault.failJob(), EdmSandboxFault.serverError(503).on(Call.POLL),
        EdmSandboxFault.rateLimited(Duration.ofSeconds(2))));

    assertThat(state.take(Call.FIND)).map(EdmSandboxFault::kind).contains(EdmSandboxFault.Kind.RATE_LIMITED);
    assertThat(state.take(Call.POLL)).map(EdmSandboxFault::status).contains(503);
    assertThat(state.take(Call.POLL)).isEmpty();
    assertThat(state.take(Call.CREATE)).map(EdmSandboxFault::kind).contains(EdmSandboxFault.Kind.FAIL_JOB);
    assertThat(state.pending()).isEmpty();
    assertThat(state.calls()).isEqualTo(Map.of(Call.CREATE, 1, Call.POLL, 2, Call.FIND, 1));
  }

  @Test
  void resetForgetsEverythingButNeverReusesAJobId() {
    Job before = state.create("t", List.of(profile("m1", "Bondi")), false);
    state.finish(before.jobId());
    state.script(List.of(EdmSandboxFault.drop()));
    state.take(Call.CREATE);

    state.reset();

    assertThat(state.jobs()).isEmpty();
    assertThat(state.importCounts()).isEmpty();
    assertThat(state.pending()).isEmpty();
    assertThat(state.calls().values()).containsOnly(0);
    assertThat(state.create("t", List.of(profile("m1", "Bondi")), false).jobId()).isNotEqualTo(before.jobId());
  }
}
