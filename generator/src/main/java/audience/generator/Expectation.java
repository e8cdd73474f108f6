package audience.generator;

import audience.contract.RejectionKind;

import java.time.Instant;
import java.util.Objects;

/** What the ingester must make of a generated file. */
public sealed interface Expectation permits Expectation.Good, Expectation.Bad {

  /** The file is valid and carries this member snapshot. */
  record Good(String memberId, Instant lastActive) implements Expectation {
    public Good {
      Objects.requireNonNull(memberId, "memberId");
      Objects.requireNonNull(lastActive, "lastActive");
    }
  }

  /** The file must be quarantined with exactly this kind. */
  record Bad(RejectionKind kind) implements Expectation {
    public Bad {
      Objects.requireNonNull(kind, "kind");
    }
  }
}
