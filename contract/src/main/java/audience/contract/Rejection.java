package audience.contract;

import java.util.Objects;

/** A quarantine verdict: the kind and a precise, human readable detail. */
public record Rejection(RejectionKind kind, String detail) {
  public Rejection {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(detail, "detail");
  }

  /** {@code kind + ": " + detail}, e.g. {@code MISSING_FIELD: email}. */
  public String reason() {
    return kind + ": " + detail;
  }
}
