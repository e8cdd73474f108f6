package audience.local;

import audience.config.Settings;
import audience.testkit.Http;

import java.util.Map;

/**
 * How the tests of this module reach a service process's /ops: with an operator token minted the way the command
 * line mints its own ({@link OperatorToken}, the local profile's key, which the service process verifies with).
 */
final class OperatorHttp {
  private static final String SUBJECT = "test-operator";

  private OperatorHttp() {}

  static Http of(String url) {
    return new Http(url, OperatorToken.minted(Settings.load(Map.of("audience.profile", Settings.PROFILE_LOCAL)),
        SUBJECT).token());
  }
}
