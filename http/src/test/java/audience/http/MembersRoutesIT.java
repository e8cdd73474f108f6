package audience.http;

import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;
import audience.devstack.DevStack;
import audience.service.Service;
import audience.store.MemberStore;
import audience.testkit.Http;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Erasure over the service's HTTP: DELETE /ops/members/{id} against the emulators. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MembersRoutesIT {
  private Service service;
  private Http http;
  private MemberStore members;

  @BeforeAll
  void start() {
    service = Service.start(TestNodes.settings(DevStack.shared(), Map.of("audience.http.port", 0)));
    http = OpsTestClients.operator(service.url(), service.node().settings());
    members = service.node().dependencies().members();
  }

  @AfterAll
  void stop() {
    if (service != null) service.close();
  }

  @Test
  void aForgottenMemberIsGoneSuppressedAndForgettingAgainIsHarmless() {
    MemberProfile p = new MemberProfile("m-erase1", "erase1@example.com", true, "Bondi", "2026", AuState.NSW,
        Intent.BUY, PropertyType.HOUSE, 3, 1_000_000, 2_000_000, Instant.parse("2026-11-01T00:00:00Z"), List.of());
    members.write(List.of(new MemberStore.Snapshot(p, "erase/1.json", "run-x"))).join();

    Http.Reply first = http.delete("/ops/members/m-erase1");
    assertThat(first.status()).as("%s", first).isEqualTo(200);
    assertThat(first.body().path("deleted").asBoolean()).isTrue();
    assertThat(first.body().path("suppressed").asBoolean()).isTrue();
    assertThat(first.raw()).doesNotContain("@");
    assertThat(members.current("m-erase1").join()).isEmpty();
    assertThat(members.suppressed("m-erase1").join()).isTrue();

    Http.Reply again = http.delete("/ops/members/m-erase1");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.body().path("deleted").asBoolean()).isFalse();
  }

  @Test
  void anIdThatIsNotAMemberIdIsRefusedWithTheRule() {
    Http.Reply r = http.delete("/ops/members/someone@example.com");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body().path("error").asText()).contains("not a member id").doesNotContain("someone");
  }
}
