package audience.cli;

import java.util.HashMap;
import java.util.Map;

import audience.generator.GeneratorSpec;
import picocli.CommandLine.Option;

/** The demo data set's options, shared by {@code up} and {@code demo}. */
final class DemoData {
  static final String PREFIX = "demo/";
  private static final double GZIP_SHARE = 0.1;
  private static final int BAD_PERCENT = 1;

  @Option(names = "--files", defaultValue = "20000", description = "Demo files (default: ${DEFAULT-VALUE}).") int files;
  @Option(names = "--bad-files", description = "Bad files (default: 1% of --files).") Integer badFiles;
  @Option(names = "--seed", defaultValue = "1", description = "Data set seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--min-audience", defaultValue = "3",
      description = "The service's audience.segments.min-audience for the demo (default: ${DEFAULT-VALUE}; the "
          + "service's own default, 10, is for real volumes: a demo data set of a few thousand members spreads too "
          + "thin for it).") int minAudience;

  /** The service settings the demo runs with, beside {@code extra}. */
  Map<String, Object> serviceSettings(Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(extra);
    m.put("audience.segments.min-audience", minAudience);
    return m;
  }

  GeneratorSpec spec(String bucket) {
    return new GeneratorSpec(files, badFiles == null ? files * BAD_PERCENT / 100 : badFiles, seed, bucket, PREFIX,
        GZIP_SHARE);
  }
}
