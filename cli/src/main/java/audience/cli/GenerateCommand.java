package audience.cli;

import audience.aws.AwsClients;
import audience.config.Settings;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.local.Local;
import com.fasterxml.jackson.databind.ObjectMapper;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Write N member files of data contract v1 to S3, deterministic for a seed, some bad on purpose.")
final class GenerateCommand implements Callable<Integer> {
  static final int WRITE_CONCURRENCY = 64;

  @Option(names = "--files", required = true, description = "Files to write.") int files;
  @Option(names = "--bad-files", defaultValue = "0", description = "How many are bad, in varied ways.") int badFiles;
  @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--bucket", description = "Bucket (default: audience.resources.raw-bucket).") String bucket;
  @Option(names = "--prefix", defaultValue = "", description = "Key prefix, e.g. 2026-11-26/.") String prefix;
  @Option(names = "--gzip-share", defaultValue = "0.1", description = "Share of files stored gzipped (.json.gz).")
  double gzipShare;
  @Option(names = "--truth", description = "Print the ground truth (expected ingested, quarantined) as JSON.")
  boolean truth;
  @Option(names = "--devstack-home", defaultValue = "run/devstack", description = "Devstack folder (local profile).")
  Path devstackHome;

  @Override
  public Integer call() throws Exception {
    Settings settings = Local.settings(devstackHome, Map.of());
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      GeneratorSpec spec = new GeneratorSpec(files, badFiles, seed,
          bucket == null ? settings.resources().rawBucket() : bucket, prefix, gzipShare);
      GroundTruth t = write(aws.s3(), spec);
      if (truth) System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(t));
      else System.err.printf("wrote %d files to s3://%s/%s (%d bad)%n", t.files(), spec.bucket(), spec.prefix(),
          t.expectedQuarantined());
    }
    return 0;
  }

  /** Writes the data set with a progress bar; returns its ground truth. */
  static GroundTruth write(S3AsyncClient s3, GeneratorSpec spec) {
    try (ProgressBar bar = ProgressView.counter("generate", spec.files())) {
      return new DatasetWriter().write(s3, new DatasetGenerator(spec), WRITE_CONCURRENCY, bar::stepTo).join();
    }
  }
}
