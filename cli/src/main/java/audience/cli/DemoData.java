package audience.cli;

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

  GeneratorSpec spec(String bucket) {
    return new GeneratorSpec(files, badFiles == null ? files * BAD_PERCENT / 100 : badFiles, seed, bucket, PREFIX,
        GZIP_SHARE);
  }
}
