package audience.ingestion;

import audience.config.Settings.AllowedSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which sources the service owns ({@code audience.ingestion.allowed-sources}): a run over {@code s3://bucket/prefix}
 * is accepted only when the bucket is listed and the prefix matches one of its glob patterns ({@code *} any
 * characters, {@code /} included; {@code ?} exactly one). An empty list allows nothing. Pure: the Ingestion facade
 * asks it once for every run, whoever starts it (trigger, /ops, redrive).
 */
public final class SourcePolicy {
  private static final String CONFIG_KEY = "audience.ingestion.allowed-sources";

  /** The patterns per bucket, entries for the same bucket merged, in configuration order. */
  private final Map<String, List<String>> patterns = new LinkedHashMap<>();

  public SourcePolicy(List<AllowedSource> allowed) {
    for (AllowedSource a : allowed) patterns.computeIfAbsent(a.bucket(), b -> new ArrayList<>()).addAll(a.prefixes());
  }

  /** What the policy says of a source. */
  public sealed interface Decision permits Allowed, Refused {}

  public record Allowed() implements Decision {}

  /** {@code reason} names the source and what it failed, for the operator (a 400 body or a log line). */
  public record Refused(String reason) implements Decision {}

  public boolean allowsNothing() {
    return patterns.isEmpty();
  }

  public Decision check(String bucket, String prefix) {
    String source = "s3://" + bucket + "/" + prefix + " is not a source this service ingests: ";
    if (patterns.isEmpty()) return new Refused(source + CONFIG_KEY + " is empty, so nothing is allowed");
    List<String> globs = patterns.get(bucket);
    if (globs == null) {
      return new Refused(source + "bucket " + bucket + " is not in " + CONFIG_KEY + " (allowed buckets: "
          + String.join(", ", patterns.keySet()) + ")");
    }
    for (String glob : globs) if (matches(glob, prefix)) return new Allowed();
    return new Refused(source + "prefix '" + prefix + "' matches none of the patterns allowed for bucket " + bucket
        + " " + globs);
  }

  /** Glob match of the whole {@code text}: {@code *} any run of characters (also empty), {@code ?} one character. */
  static boolean matches(String glob, String text) {
    int g = 0;
    int t = 0;
    int star = -1; // position in glob after the last '*' seen
    int resume = 0; // position in text the last '*' is stretched to
    while (t < text.length()) {
      if (g < glob.length() && (glob.charAt(g) == '?' || glob.charAt(g) == text.charAt(t))) {
        g++;
        t++;
      } else if (g < glob.length() && glob.charAt(g) == '*') {
        star = ++g;
        resume = t;
      } else if (star >= 0) {
        g = star;
        t = ++resume;
      } else {
        return false;
      }
    }
    while (g < glob.length() && glob.charAt(g) == '*') g++;
    return g == glob.length();
  }
}
