package audience.auth;

import java.util.Objects;

/** Who makes a request, as a verified token says: its subject (recorded as requestedBy) and its role. */
public record Caller(String subject, Role role) {
  public Caller {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(role, "role");
  }
}
