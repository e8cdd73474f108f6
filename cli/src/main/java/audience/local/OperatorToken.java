package audience.local;

import audience.auth.Role;
import audience.auth.TokenIssuer;
import audience.config.Settings;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The bearer token the command line's clients of /ops send (the CLI's {@code OpsClient}, the benchmarks'
 * {@code OpsHttp}, the tests that drive a service process): a token given to it ({@code --token}, else the
 * {@value #ENV} variable) as is, else an operator token it mints itself with the local profile's key
 * ({@code audience.api.jwt.local-secret}, the key the local service verifies with), for the subject
 * {@code cli:<os user>}. A minted token is minted again once half its {@code token-ttl} has passed, so a long
 * {@code --watch} outlives one token. The aws profile has no local key: there a token must be given.
 */
public final class OperatorToken {
  /** The variable a given token is read from. */
  public static final String ENV = "AUDIENCE_TOKEN";
  /** The subject of the CLI's own tokens: this prefix and the OS user. */
  public static final String CLI_SUBJECT_PREFIX = "cli:";
  private static final String BEARER = "Bearer ";
  private static final long REMINT_FRACTION = 2;

  private final Optional<String> given;
  private final Supplier<Settings> settings;
  private final String subject;
  private final Clock clock;
  private TokenIssuer issuer;
  private Duration remintAfter;
  private String minted;
  private Instant mintedAt;

  private OperatorToken(Optional<String> given, Supplier<Settings> settings, String subject, Clock clock) {
    this.given = given.map(String::strip).filter(t -> !t.isEmpty());
    this.settings = settings;
    this.subject = subject;
    this.clock = clock;
  }

  /**
   * The CLI's token: {@code flag} (--token) when set, else {@code env}'s {@value #ENV}, else minted with the local
   * key of {@code settings} (loaded only then) for {@code cli:<user>}.
   */
  public static OperatorToken forCli(Optional<String> flag, Map<String, String> env, Supplier<Settings> settings,
                                     String user, Clock clock) {
    Optional<String> given = flag.or(() -> Optional.ofNullable(env.get(ENV)));
    return new OperatorToken(given, settings, CLI_SUBJECT_PREFIX + user, clock);
  }

  /** The CLI's token from this process's --token, environment, settings, OS user and clock. */
  public static OperatorToken forCli(Optional<String> flag) {
    return forCli(flag, System.getenv(), Settings::load, System.getProperty("user.name", "unknown"),
        Clock.systemUTC());
  }

  /** Always minted with the local key of {@code settings}, for {@code subject} (a local service: the benchmarks). */
  public static OperatorToken minted(Settings settings, String subject) {
    return new OperatorToken(Optional.empty(), () -> settings, subject, Clock.systemUTC());
  }

  /** Whether the token is given rather than minted here. */
  public boolean given() {
    return given.isPresent();
  }

  /** The token to send now. */
  public synchronized String token() {
    if (given.isPresent()) return given.get();
    Instant now = clock.instant();
    if (minted == null || !now.isBefore(mintedAt.plus(remintAfter))) {
      if (issuer == null) {
        Settings s = settings.get();
        if (s.api().jwt().localSecret().isEmpty()) {
          throw new IllegalStateException("no token for /ops: on the " + s.profile() + " profile there is no local "
              + "key to mint one; set " + ENV + " (or --token) to an operator token of your identity provider");
        }
        issuer = new TokenIssuer(s.api().jwt());
        remintAfter = s.api().jwt().tokenTtl().dividedBy(REMINT_FRACTION);
      }
      minted = issuer.mint(subject, Role.OPERATOR, now);
      mintedAt = now;
    }
    return minted;
  }

  /** The {@code Authorization} header's value. */
  public String header() {
    return BEARER + token();
  }
}
