package audience.segments;

import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.PropertyType;

import java.text.Normalizer;
import java.util.Comparator;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a segment is: the members of one suburb (exactly as spelled in their profiles) of one state, with one intent,
 * one property type and a banding price in one price band of that intent.
 *
 * <p><b>Id.</b> {@link #id()} is deterministic, lower case, and safe in a URL path and an S3 key (only {@code a-z},
 * {@code 0-9}, {@code -} and {@code ~}): the five parts joined by {@code ~},
 * <pre>  state ~ suburb slug - suburb hash ~ intent ~ property type ~ band label</pre>
 * e.g. {@code nsw~surry-hills-7ea0ece8~buy~apartment~750000-1000000}. The suburb slug is the suburb with accents
 * dropped, lower case, every run of other characters made one {@code -}, trimmed of {@code -} and cut to {@value
 * #MAX_SLUG} characters; the suburb hash is the first {@value #SUBURB_HASH_HEX} hex digits of the SHA-256 of the exact
 * suburb (UTF-8), so two suburbs with one slug ({@code St Ives}, {@code St. Ives}) still have two ids. A suburb with
 * no slug (no Latin letter or digit) is its hash alone. Band labels: {@link PriceBand#label()}. The id is not parsed
 * back: the metadata carries the key's parts.
 */
public record SegmentKey(AuState state, String suburb, Intent intent, PropertyType propertyType, PriceBand priceBand) {
  /** Separates the parts of an id. */
  public static final char SEPARATOR = '~';
  static final int MAX_SLUG = 40;
  static final int SUBURB_HASH_HEX = 8;
  private static final Pattern MARKS = Pattern.compile("\\p{M}+");
  private static final Pattern NOT_SLUG = Pattern.compile("[^a-z0-9]+");
  private static final char DASH = '-';

  /** The order segments are listed in: by id. */
  public static final Comparator<SegmentKey> BY_ID = Comparator.comparing(SegmentKey::id);

  public SegmentKey {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(suburb, "suburb");
    Objects.requireNonNull(intent, "intent");
    Objects.requireNonNull(propertyType, "propertyType");
    Objects.requireNonNull(priceBand, "priceBand");
  }

  /** The segment's id (see the class comment). */
  public String id() {
    return state.wire().toLowerCase(Locale.ROOT) + SEPARATOR + suburbPart(suburb) + SEPARATOR + intent.wire()
        + SEPARATOR + propertyType.wire() + SEPARATOR + priceBand.label();
  }

  /** The suburb's part of an id: slug and hash. */
  static String suburbPart(String suburb) {
    String hash = Hashing.sha256Hex(suburb).substring(0, SUBURB_HASH_HEX);
    String slug = slug(suburb);
    return slug.isEmpty() ? hash : slug + DASH + hash;
  }

  /** Accents dropped, lower case, other characters one dash per run, trimmed, at most {@link #MAX_SLUG}. */
  static String slug(String text) {
    String plain = MARKS.matcher(Normalizer.normalize(text, Normalizer.Form.NFKD)).replaceAll("");
    String slug = trimDashes(NOT_SLUG.matcher(plain.toLowerCase(Locale.ROOT)).replaceAll(String.valueOf(DASH)));
    return slug.length() <= MAX_SLUG ? slug : trimDashes(slug.substring(0, MAX_SLUG));
  }

  private static String trimDashes(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && s.charAt(from) == DASH) from++;
    while (to > from && s.charAt(to - 1) == DASH) to--;
    return s.substring(from, to);
  }
}
