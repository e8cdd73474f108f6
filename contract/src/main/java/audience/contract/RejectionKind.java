package audience.contract;

/**
 * Why a file was quarantined. The order has no meaning; the names are stored in the quarantine.
 * When each kind is used, with example reasons: docs/contract.md.
 */
public enum RejectionKind {
  /** Zero bytes, or nothing but whitespace. */
  EMPTY,
  /** Stored or decompressed size above the configured limit. */
  OVERSIZE,
  /** Not valid UTF-8. */
  INVALID_UTF8,
  /** Not parseable as JSON (syntax error, trailing garbage). */
  NOT_JSON,
  /** JSON that ends before the document is complete. */
  TRUNCATED,
  /** Valid JSON whose root is not an object. */
  NOT_AN_OBJECT,
  /** A required field is absent. */
  MISSING_FIELD,
  /** A field has the wrong JSON type (including null for a required field). */
  WRONG_TYPE,
  /** A number outside its allowed range, priceMin > priceMax, or an instant before 2000 or in the future. */
  OUT_OF_RANGE,
  /** A string that does not match its format or enumeration. */
  INVALID_VALUE,
  /** A gzip file (by key or magic bytes) that cannot be inflated. */
  BAD_GZIP
}
