package audience.store;

import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks a run by reading the stores back, not by trusting counters: every key listed under the run's prefix
 * must be found exactly once, either in the member-files table as stored by the run (its snapshot is the member's
 * current item or was superseded by a newer one) or in the run's quarantine.
 * Holds the key set in memory (a tool for tests, demos and benchmarks, not for the service).
 */
public final class RunAudit {
  private static final int SCAN_SEGMENTS = 4;
  private static final int SAMPLE = 10;

  private RunAudit() {}

  /** {@code lost}: listed keys found nowhere; {@code doubled}: keys both ingested and quarantined. */
  public record Result(long listed, long ingested, long quarantined, long lost, long doubled, List<String> lostSample) {
    public boolean consistent() {
      return lost == 0 && doubled == 0;
    }
  }

  public static Result audit(S3AsyncClient s3, DynamoDbAsyncClient dynamo, MemberStore members,
                             QuarantineStore quarantine, String bucket, String prefix, String runId) {
    Set<String> listed = new HashSet<>();
    String startAfter = null;
    while (true) {
      ListObjectsV2Request.Builder r = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix);
      if (startAfter != null) r.startAfter(startAfter);
      ListObjectsV2Response page = s3.listObjectsV2(r.build()).join();
      page.contents().forEach(o -> listed.add(o.key()));
      if (!Boolean.TRUE.equals(page.isTruncated()) || page.contents().isEmpty()) break;
      startAfter = page.contents().get(page.contents().size() - 1).key();
    }
    Set<String> ingested = ConcurrentHashMap.newKeySet();
    TableScan.scan(dynamo, members.tables().memberFiles(), MemberStore.SOURCE_KEY + ", " + MemberStore.RUN_ID, SCAN_SEGMENTS, item -> {
      if (runId.equals(item.get(MemberStore.RUN_ID).s())) ingested.add(item.get(MemberStore.SOURCE_KEY).s());
    }).join();
    Set<String> quarantined = new HashSet<>();
    quarantine.forRun(runId).join().forEach(q -> quarantined.add(q.fileKey()));
    long lost = 0;
    long doubled = 0;
    List<String> sample = new ArrayList<>();
    for (String key : listed) {
      boolean in = ingested.contains(key);
      boolean out = quarantined.contains(key);
      if (in && out) doubled++;
      if (!in && !out) {
        lost++;
        if (sample.size() < SAMPLE) sample.add(key);
      }
    }
    return new Result(listed.size(), ingested.stream().filter(listed::contains).count(),
        quarantined.stream().filter(listed::contains).count(), lost, doubled, sample);
  }
}
