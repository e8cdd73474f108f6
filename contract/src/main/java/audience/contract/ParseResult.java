package audience.contract;

import java.util.Objects;

/** The outcome of parsing one file: a valid profile or a rejection. */
public sealed interface ParseResult permits ParseResult.Valid, ParseResult.Invalid {

  /** The file satisfies the contract. */
  record Valid(MemberProfile profile) implements ParseResult {
    public Valid {
      Objects.requireNonNull(profile, "profile");
    }
  }

  /** The file must be quarantined. */
  record Invalid(Rejection rejection) implements ParseResult {
    public Invalid {
      Objects.requireNonNull(rejection, "rejection");
    }
  }

  /** Shorthand for {@code new Invalid(new Rejection(kind, detail))}. */
  static ParseResult invalid(RejectionKind kind, String detail) {
    return new Invalid(new Rejection(kind, detail));
  }
}
