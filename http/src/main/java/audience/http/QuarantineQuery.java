package audience.http;

import audience.store.QuarantineStore;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The query of {@code GET /ops/ingestions/{id}/quarantine}: {@code reason} (a rejection kind, e.g. OUT_OF_RANGE),
 * {@code limit} (rows per page, 1..{@link QuarantineStore#MAX_PAGE}, default {@link #DEFAULT_LIMIT}) and
 * {@code after} (the {@code next} token of the previous page: the page's last file key, base64url, opaque to
 * clients). Pure: parsed and checked here, so the route and the CLI agree on it.
 */
public record QuarantineQuery(String reason, int limit, String afterKey) {
  public static final int DEFAULT_LIMIT = 100;
  /** What a rejection kind looks like (RejectionKind names, MISSING_OBJECT). */
  public static final String KIND_PATTERN = "[A-Z][A-Z0-9_]*";

  /** Either a query or why the parameters are not one (a 400's message). */
  public sealed interface Parsed permits Valid, Invalid {}

  public record Valid(QuarantineQuery query) implements Parsed {}

  public record Invalid(String error) implements Parsed {}

  public static Parsed parse(Optional<String> reason, Optional<String> limit, Optional<String> after) {
    if (reason.isPresent() && !reason.get().matches(KIND_PATTERN)) {
      return new Invalid("reason must be a rejection kind such as OUT_OF_RANGE (" + KIND_PATTERN + "), got '"
          + reason.get() + "'");
    }
    int rows = DEFAULT_LIMIT;
    if (limit.isPresent()) {
      try {
        rows = Integer.parseInt(limit.get());
      } catch (NumberFormatException e) {
        rows = 0;
      }
      if (rows < 1 || rows > QuarantineStore.MAX_PAGE) {
        return new Invalid("limit must be an integer from 1 to " + QuarantineStore.MAX_PAGE + ", got '" + limit.get()
            + "'");
      }
    }
    String afterKey = null;
    if (after.isPresent()) {
      Optional<String> key = decode(after.get());
      if (key.isEmpty()) return new Invalid("after must be the next token of a previous page, got '" + after.get() + "'");
      afterKey = key.get();
    }
    return new Valid(new QuarantineQuery(reason.orElse(null), rows, afterKey));
  }

  /** The token for the page after {@code fileKey}. */
  public static String encode(String fileKey) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(fileKey.getBytes(StandardCharsets.UTF_8));
  }

  static Optional<String> decode(String token) {
    if (token.isEmpty()) return Optional.empty();
    try {
      return Optional.of(new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException notBase64) {
      return Optional.empty();
    }
  }

  /** The request path of a page (relative, as the CLI's client takes it); null parts are left out. */
  public static String path(String runId, String reason, int limit, String afterToken) {
    StringBuilder p = new StringBuilder("ops/ingestions/").append(runId).append("/quarantine?limit=").append(limit);
    if (reason != null) p.append("&reason=").append(URLEncoder.encode(reason, StandardCharsets.UTF_8));
    if (afterToken != null) p.append("&after=").append(URLEncoder.encode(afterToken, StandardCharsets.UTF_8));
    return p.toString();
  }
}
