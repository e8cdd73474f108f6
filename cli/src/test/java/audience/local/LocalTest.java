package audience.local;

import static org.assertj.core.api.Assertions.assertThat;

import audience.config.Settings;
import audience.devstack.DevStack;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a devstack's endpoints.json becomes the local profile's settings. */
class LocalTest {
  private static final URI EMULATOR = URI.create("http://127.0.0.1:20001");
  private static final URI SANDBOX = URI.create("http://127.0.0.1:20009");

  @Test
  void theLocalProfileImportsIntoTheDevstacksEdmSandboxWithItsKey() {
    DevStack.Endpoints e = new DevStack.Endpoints(EMULATOR, EMULATOR, EMULATOR, EMULATOR, EMULATOR, "us-east-1",
        "test", "test", SANDBOX);
    Map<String, Object> overrides = new HashMap<>(Local.endpoints(e));
    overrides.put("audience.profile", Settings.PROFILE_LOCAL);

    Settings.EdmSettings edm = Settings.load(overrides).bookings().edm();

    assertThat(edm.baseUrl()).isEqualTo(SANDBOX.toString());
    assertThat(edm.apiKey()).isEqualTo(DevStack.Options.DEFAULT_EDM_API_KEY);
  }

  @Test
  void aDevstackWithoutSandboxLeavesTheEdmUnconfigured() {
    DevStack.Endpoints e = new DevStack.Endpoints(EMULATOR, EMULATOR, EMULATOR, EMULATOR, EMULATOR, "us-east-1",
        "test", "test");
    assertThat(Local.endpoints(e)).doesNotContainKey(Local.EDM_BASE_URL)
        .containsEntry("audience.aws.endpoints.s3", EMULATOR.toString());
  }
}
