package audience.cli;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.config.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * {@code ./audience token --role R --sub NAME}: a bearer token for the GraphQL API and /ops, signed with the local
 * profile's key ({@code audience.api.jwt.local-secret}) and valid for {@code audience.api.jwt.token-ttl}. Printed
 * alone on standard output, e.g. {@code curl -H "Authorization: Bearer $(./audience token --role viewer --sub me)"}.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Mint a bearer token signed with the local key, for /graphql (any role) and /ops (operator); "
        + "local profile only. Printed alone on stdout.")
final class TokenCommand implements Callable<Integer> {
  @Option(names = "--role", required = true, description = "viewer, booker or operator.") String role;
  @Option(names = "--sub", required = true, description = "The subject: who the token is for (recorded as "
      + "requestedBy on bookings).") String subject;

  @Override
  public Integer call() {
    Settings settings = Settings.load();
    if (!Settings.PROFILE_LOCAL.equals(settings.profile())) {
      System.err.println("error: tokens are minted locally only on the local profile; on "
          + settings.profile() + " the identity provider issues them");
      return 2;
    }
    Role r = Role.fromClaim(role).orElse(null);
    if (r == null) {
      System.err.println("error: --role must be viewer, booker or operator");
      return 2;
    }
    if (subject.isBlank()) {
      System.err.println("error: --sub must not be blank");
      return 2;
    }
    System.out.println(new TokenIssuer(settings.api().jwt()).mint(subject.strip(), r, Instant.now()));
    return 0;
  }
}
