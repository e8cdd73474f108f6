package audience.contract;

/**
 * Thrown by the stages of {@link ContractParser} ({@link FileDecoder}, {@link StrictJson}, {@link
 * ContractRules}) with the first problem they find. Checked, so that every stage says in its
 * signature that it may reject; {@link ContractParser#parse} turns it into {@link
 * ParseResult.Invalid}. A rejection is an expected outcome, not a bug, so no stack trace is taken.
 */
final class Rejected extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Rejection rejection;

  Rejected(RejectionKind kind, String detail) {
    super(null, null, false, false);
    this.rejection = new Rejection(kind, detail);
  }

  Rejection rejection() {
    return rejection;
  }

  @Override
  public String getMessage() {
    return rejection.reason();
  }
}
