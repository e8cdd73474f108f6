package audience.contract;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Instant;
import java.util.Objects;

/**
 * Parses and validates one raw member file against data contract v1 (see docs/contract.md).
 *
 * <p>Pure: no I/O beyond the byte array it is given, no shared mutable state; "now" comes from the
 * clock of its {@link ContractLimits}, read once per file. One instance may be used from any number
 * of threads at once.
 *
 * <p>Three stages, each of which may reject the file with the first problem it finds:
 *
 * <ol>
 *   <li>{@link FileDecoder}: size limit, gzip (with a guard against gzip bombs), strict UTF-8;
 *   <li>{@link StrictJson}: one strict JSON value, no duplicate names, nothing after it;
 *   <li>{@link ContractRules}: an object with the contract's fields, types, ranges and formats.
 * </ol>
 */
public final class ContractParser {

  /** The default size limit of the contract: 1 MiB. */
  public static final long DEFAULT_MAX_BYTES = 1L << 20;

  /** The memberId format, for documentation and rejection details (the check is hand-written). */
  public static final String MEMBER_ID_PATTERN = ContractRules.MEMBER_ID_PATTERN;

  /** The earliest instant a file may hold ({@code lastActive}, activity {@code at}). */
  public static final Instant EARLIEST_INSTANT = ContractRules.EARLIEST_INSTANT;

  private final FileDecoder files;
  private final StrictJson json;
  private final ContractLimits limits;

  /** A parser with its own {@link ObjectMapper}. */
  public ContractParser(ContractLimits limits) {
    this(limits, new ObjectMapper());
  }

  /**
   * A parser sharing an existing mapper (only its immutable reader is kept; the mapper must not be
   * reconfigured afterwards, as usual for Jackson).
   */
  public ContractParser(ContractLimits limits, ObjectMapper mapper) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.files = new FileDecoder(limits.maxFileBytes());
    this.json = new StrictJson(mapper, ContractRules.PERSONAL_FIELDS);
  }

  /** The configured size limit, applied to stored and to decompressed bytes. */
  public long maxBytes() {
    return files.maxBytes();
  }

  /**
   * Parses one file.
   *
   * @param key the object key (only its {@code .gz} suffix matters)
   * @param bytes the stored content; not modified and not retained
   */
  public ParseResult parse(String key, byte[] bytes) {
    try {
      return new ParseResult.Valid(
          ContractRules.profile(json.read(files.decode(key, bytes)), limits.latest()));
    } catch (Rejected r) {
      return new ParseResult.Invalid(r.rejection());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // formats (public: the generator and other components use the same rules)

  /** True when the content starts with the gzip magic bytes 1f 8b. */
  public static boolean hasGzipMagic(byte[] b) {
    return FileDecoder.hasGzipMagic(b);
  }

  /** {@code ^m-[0-9a-z]{4,32}$}, without a regex. */
  public static boolean isValidMemberId(String s) {
    return ContractRules.isValidMemberId(s);
  }

  /**
   * A pragmatic address check: 5 to 254 characters, no whitespace or control characters, exactly
   * one {@code @}, a non-empty local part, a domain containing a dot that neither starts nor ends
   * with a dot and has no empty label.
   */
  public static boolean isValidEmail(String s) {
    return ContractRules.isValidEmail(s);
  }
}
