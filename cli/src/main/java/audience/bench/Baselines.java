package audience.bench;

import audience.contract.ContractParser;
import audience.contract.ParseResult;
import audience.store.MemberStore;
import me.tongfei.progressbar.ProgressBar;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The two ways the service is compared with, on a subset of the generated files, each into its own table:
 * <ul>
 *   <li>sequential, the seed's way: list, then for one file after the other GET, parse ({@link ContractParser})
 *       and PutItem;</li>
 *   <li>pool: the same list, then a plain fixed thread pool of {@code concurrency} threads, each doing a
 *       blocking GET, parse and PutItem per file.</li>
 * </ul>
 * Timing covers the listing too. Bad files are parsed and counted, not stored.
 */
final class Baselines {
  private static final String RUN_ID = "bench-baseline";

  private Baselines() {}

  /** A baseline's outcome. */
  record Result(int files, int stored, int refused, long millis, int concurrency) {
    double filesPerSecond() {
      return files * 1000.0 / Math.max(millis, 1);
    }
  }

  static Result sequential(S3AsyncClient s3, MemberStore store, ContractParser parser, String bucket,
                           String prefix, int limit) {
    long t0 = System.nanoTime();
    List<String> keys = list(s3, bucket, prefix, limit);
    int stored = 0;
    int refused = 0;
    try (ProgressBar bar = Progress.bar("baseline sequential", keys.size())) {
      for (String key : keys) {
        if (one(s3, store, parser, bucket, key)) stored++;
        else refused++;
        bar.step();
      }
    }
    return new Result(keys.size(), stored, refused, (System.nanoTime() - t0) / 1_000_000, 1);
  }

  static Result pool(S3AsyncClient s3, MemberStore store, ContractParser parser, String bucket,
                     String prefix, int limit, int concurrency) throws Exception {
    long t0 = System.nanoTime();
    List<String> keys = list(s3, bucket, prefix, limit);
    AtomicLong stored = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
      Thread t = new Thread(r, "baseline-pool");
      t.setDaemon(true);
      return t;
    });
    try (ProgressBar bar = Progress.bar("baseline pool x" + concurrency, keys.size())) {
      List<Future<?>> tasks = new ArrayList<>(keys.size());
      for (String key : keys) {
        tasks.add(pool.submit(() -> {
          if (one(s3, store, parser, bucket, key)) stored.incrementAndGet();
          bar.step();
        }));
      }
      for (Future<?> f : tasks) f.get();
    } finally {
      pool.shutdownNow();
    }
    return new Result(keys.size(), (int) stored.get(), keys.size() - (int) stored.get(),
        (System.nanoTime() - t0) / 1_000_000, concurrency);
  }

  /**
   * GET, parse and store one file with the service's write semantics (conditional put of the current member,
   * its member-files row), blocking; false when the file is refused by the contract.
   */
  private static boolean one(S3AsyncClient s3, MemberStore store, ContractParser parser, String bucket, String key) {
    byte[] bytes = s3.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes()).join()
        .asByteArrayUnsafe();
    if (parser.parse(key, bytes) instanceof ParseResult.Valid v) {
      store.write(List.of(new MemberStore.Snapshot(v.profile(), key, RUN_ID))).join();
      return true;
    }
    return false;
  }

  /** The first {@code limit} keys under {@code prefix}, page by page. */
  static List<String> list(S3AsyncClient s3, String bucket, String prefix, int limit) {
    List<String> keys = new ArrayList<>(limit);
    String startAfter = null;
    while (keys.size() < limit) {
      ListObjectsV2Request.Builder r = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix)
          .maxKeys(Math.min(1000, limit - keys.size()));
      if (startAfter != null) r.startAfter(startAfter);
      ListObjectsV2Response page = s3.listObjectsV2(r.build()).join();
      for (S3Object o : page.contents()) keys.add(o.key());
      if (!Boolean.TRUE.equals(page.isTruncated()) || page.contents().isEmpty()) break;
      startAfter = page.contents().get(page.contents().size() - 1).key();
    }
    return keys;
  }
}
