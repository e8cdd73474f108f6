package audience.auth;

import java.util.Locale;
import java.util.Optional;

/** What a token lets its holder do; each role may also do everything of the roles before it. */
public enum Role {
  /** Reads: the manifest, segments, bookings, runs. */
  VIEWER,
  /** Also books segments and cancels bookings. */
  BOOKER,
  /** Also steers ingestion, regenerates segments, and may call every /ops route. */
  OPERATOR;

  /** Whether this role may do what {@code needed} may. */
  public boolean allows(Role needed) {
    return compareTo(needed) >= 0;
  }

  /** The spelling of the token's {@code role} claim. */
  public String claim() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role a claim names (either case), empty for anything else. */
  public static Optional<Role> fromClaim(String claim) {
    if (claim == null) return Optional.empty();
    for (Role r : values()) if (r.claim().equalsIgnoreCase(claim.trim())) return Optional.of(r);
    return Optional.empty();
  }
}
