package audience.kinesis;

import audience.config.Settings.Retry;
import audience.config.Settings.StreamSettings;
import audience.store.Retrying;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Writes records to a stream with PutRecords, in calls of at most {@code maxBatchRecords} records and
 * {@code maxBatchBytes} (data plus partition keys), one call after the other. A call that fails as a whole is retried
 * ({@link Retrying}); of a call that partly fails (FailedRecordCount), only the failed entries are sent again after
 * a backoff, together with the entries that followed them under the same partition key.
 *
 * <p>Order: Kinesis keeps the order of one key's records within a shard as they arrive. A failed entry sent again
 * lands after the later entries of its key that succeeded; sending those again too means the last copy of every
 * record of a key stands in the original order. So a record may be read more than once and a stale copy may come
 * before a fresh one: <b>consumers must be idempotent</b> and apply records so that the last one of a key wins.
 */
public record KinesisPublisher(KinesisAsyncClient kinesis, String stream, Options options) {
  /** Kinesis caps a partition key at 256 characters and a record (data plus key) at 1 MiB. */
  public static final int MAX_PARTITION_KEY_LENGTH = 256;
  public static final long MAX_RECORD_BYTES = 1024L * 1024;

  /** One record to write. {@code data} is copied in and out. */
  public record Entry(String partitionKey, byte[] data) {
    public Entry {
      Objects.requireNonNull(partitionKey, "partitionKey");
      if (partitionKey.isEmpty() || partitionKey.length() > MAX_PARTITION_KEY_LENGTH) {
        throw new IllegalArgumentException("a partition key has 1.." + MAX_PARTITION_KEY_LENGTH + " characters, not "
            + partitionKey.length());
      }
      data = data.clone();
      if (size(partitionKey, data) > MAX_RECORD_BYTES) {
        throw new IllegalArgumentException("a record is at most " + MAX_RECORD_BYTES + " bytes with its key");
      }
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    /** What the entry counts against a call's byte limit: its data and its partition key in UTF-8. */
    public long size() {
      return size(partitionKey, data);
    }

    private static long size(String key, byte[] data) {
      return (long) data.length + key.getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e && partitionKey.equals(e.partitionKey) && Arrays.equals(data, e.data);
    }

    @Override
    public int hashCode() {
      return 31 * partitionKey.hashCode() + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "Entry[" + partitionKey + ", " + data.length + " bytes]";
    }
  }

  /** Where one entry was stored (its last copy, when it was sent more than once). */
  public record Stored(String shardId, String sequenceNumber) {}

  /** The outcome of {@link #publish}: {@code stored} in the order of the entries; calls made; entries sent again. */
  public record Published(List<Stored> stored, int calls, int resent) {
    public Published {
      stored = List.copyOf(stored);
    }
  }

  public record Options(int maxBatchRecords, long maxBatchBytes, Retry retry) {
    public static Options from(StreamSettings s) {
      return new Options(s.publishMaxRecords(), s.publishMaxBytes(), s.retry());
    }
  }


  /**
   * Writes every entry; completes once all are stored, or fails when an entry still fails after
   * {@code retry.maxAttempts} attempts (entries of earlier calls are stored then; sending them all again is safe).
   */
  public CompletionStage<Published> publish(List<Entry> entries) {
    Stored[] stored = new Stored[entries.size()];
    int[] counts = new int[2]; // calls, resent
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    int from = 0;
    for (List<Entry> batch : batches(entries, options.maxBatchRecords(), options.maxBatchBytes())) {
      List<Integer> indices = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) indices.add(from + i);
      from += batch.size();
      chain = chain.thenCompose(x -> put(entries, indices, stored, counts, 1));
    }
    return chain.thenApply(x -> new Published(Arrays.asList(stored), counts[0], counts[1]));
  }

  /** Sends {@code indices} of {@code entries} (in their order) and again what failed, until all are stored. */
  private CompletableFuture<Void> put(List<Entry> entries, List<Integer> indices, Stored[] stored, int[] counts,
                                      int attempt) {
    List<PutRecordsRequestEntry> request = indices.stream().map(entries::get)
        .map(e -> PutRecordsRequestEntry.builder().partitionKey(e.partitionKey())
            .data(SdkBytes.fromByteArrayUnsafe(e.data)).build())
        .toList();
    counts[0]++;
    return Retrying.call(options.retry(), () -> kinesis.putRecords(b -> b.streamName(stream).records(request)))
        .thenCompose(response -> {
          Set<Integer> failed = failedPositions(response);
          List<PutRecordsResultEntry> results = response.records();
          for (int p = 0; p < indices.size(); p++) {
            if (!failed.contains(p)) {
              stored[indices.get(p)] = new Stored(results.get(p).shardId(), results.get(p).sequenceNumber());
            }
          }
          if (failed.isEmpty()) return CompletableFuture.completedFuture(null);
          if (attempt >= options.retry().maxAttempts()) {
            return CompletableFuture.failedFuture(new IllegalStateException(failed.size() + " of " + indices.size()
                + " records to " + stream + " still failing after " + attempt + " attempts: " + errorCodes(response)));
          }
          List<Integer> again = resend(indices.stream().map(entries::get).toList(), failed).stream()
              .map(indices::get).toList();
          counts[1] += again.size();
          return Retrying.after(options.retry(), attempt, () -> put(entries, again, stored, counts, attempt + 1));
        });
  }

  private static Set<Integer> failedPositions(PutRecordsResponse response) {
    Set<Integer> failed = new HashSet<>();
    if (response.failedRecordCount() == null || response.failedRecordCount() == 0) return failed;
    for (int p = 0; p < response.records().size(); p++) {
      if (response.records().get(p).errorCode() != null) failed.add(p);
    }
    return failed;
  }

  private static Map<String, Integer> errorCodes(PutRecordsResponse response) {
    Map<String, Integer> codes = new TreeMap<>();
    response.records().stream().filter(r -> r.errorCode() != null).forEach(r -> codes.merge(r.errorCode(), 1, Integer::sum));
    return codes;
  }

  /**
   * The positions of {@code batch} to send again after the entries at {@code failed} failed: each failed entry and,
   * after the first failed entry of a key, every later entry of that key, in batch order.
   */
  static List<Integer> resend(List<Entry> batch, Set<Integer> failed) {
    Set<String> keysWithAFailure = new HashSet<>();
    List<Integer> again = new ArrayList<>();
    for (int p = 0; p < batch.size(); p++) {
      String key = batch.get(p).partitionKey();
      if (failed.contains(p)) keysWithAFailure.add(key);
      if (keysWithAFailure.contains(key)) again.add(p);
    }
    return again;
  }

  /** Splits {@code entries}, in order, into runs of at most {@code maxRecords} entries and {@code maxBytes}. */
  static List<List<Entry>> batches(List<Entry> entries, int maxRecords, long maxBytes) {
    List<List<Entry>> batches = new ArrayList<>();
    List<Entry> current = new ArrayList<>();
    long bytes = 0;
    for (Entry e : entries) {
      if (e.size() > maxBytes) {
        throw new IllegalArgumentException(e + " is larger than a whole call may be (" + maxBytes + " bytes)");
      }
      if (current.size() == maxRecords || bytes + e.size() > maxBytes) {
        batches.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(e);
      bytes += e.size();
    }
    if (!current.isEmpty()) batches.add(current);
    return batches;
  }
}
