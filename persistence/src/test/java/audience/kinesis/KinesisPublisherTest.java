package audience.kinesis;

import audience.config.Settings.Retry;
import audience.kinesis.KinesisPublisher.Entry;
import audience.store.Retrying;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KinesisPublisherTest {
  private static final Retry RETRY = new Retry(3, Duration.ofMillis(1), Duration.ofMillis(2));
  private static final String THROTTLED = "ProvisionedThroughputExceededException";

  private static Entry entry(String key, String data) {
    return new Entry(key, data.getBytes(StandardCharsets.UTF_8));
  }

  /** A stream that fails the entries {@code fails} picks (by call number, 1-based, and entry) and logs every call. */
  private static final class FakeStream implements KinesisAsyncClient {
    final List<List<String>> calls = new ArrayList<>();
    final List<String> stored = new ArrayList<>();
    private final BiPredicate<Integer, String> fails;

    FakeStream(BiPredicate<Integer, String> fails) {
      this.fails = fails;
    }

    @Override
    public synchronized CompletableFuture<PutRecordsResponse> putRecords(PutRecordsRequest r) {
      int call = calls.size() + 1;
      List<String> sent = r.records().stream().map(e -> e.data().asUtf8String()).toList();
      calls.add(sent);
      List<PutRecordsResultEntry> results = new ArrayList<>();
      int failed = 0;
      for (PutRecordsRequestEntry e : r.records()) {
        if (fails.test(call, e.data().asUtf8String())) {
          failed++;
          results.add(PutRecordsResultEntry.builder().errorCode(THROTTLED).errorMessage("slow down").build());
        } else {
          stored.add(e.data().asUtf8String());
          results.add(PutRecordsResultEntry.builder().shardId("shardId-000000000000")
              .sequenceNumber(Integer.toString(stored.size())).build());
        }
      }
      return CompletableFuture.completedFuture(PutRecordsResponse.builder().failedRecordCount(failed).records(results).build());
    }

    @Override
    public String serviceName() {
      return SERVICE_NAME;
    }

    @Override
    public void close() {}
  }

  @Test
  void batchesRespectTheRecordAndByteLimitsInOrder() {
    List<Entry> entries = IntStream.range(0, 12).mapToObj(i -> entry("k" + (char) ('a' + i), "0123456789")).toList(); // 12 bytes each
    List<List<Entry>> byCount = KinesisPublisher.batches(entries, 5, Long.MAX_VALUE);
    assertThat(byCount).extracting(List::size).containsExactly(5, 5, 2);
    List<List<Entry>> bySize = KinesisPublisher.batches(entries, 500, 36);
    assertThat(bySize).extracting(List::size).containsExactly(3, 3, 3, 3);
    assertThat(bySize.stream().flatMap(List::stream).toList()).isEqualTo(entries);
    assertThat(KinesisPublisher.batches(List.of(), 500, 36)).isEmpty();
    assertThatThrownBy(() -> KinesisPublisher.batches(entries, 500, 11)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anEntryBeyondKinesisLimitsIsRefused() {
    assertThatThrownBy(() -> entry("", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> entry("k".repeat(KinesisPublisher.MAX_PARTITION_KEY_LENGTH + 1), "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Entry("k", new byte[(int) KinesisPublisher.MAX_RECORD_BYTES]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFailedEntryIsSentAgainWithTheLaterEntriesOfItsKey() {
    List<Entry> batch = List.of(entry("a", "a1"), entry("b", "b1"), entry("a", "a2"), entry("c", "c1"),
        entry("b", "b2"), entry("a", "a3"));
    assertThat(KinesisPublisher.resend(batch, Set.of(0))).containsExactly(0, 2, 5);
    assertThat(KinesisPublisher.resend(batch, Set.of(2, 3))).containsExactly(2, 3, 5);
    assertThat(KinesisPublisher.resend(batch, Set.of(4))).containsExactly(4);
  }

  @Test
  void onlyTheFailedEntriesAndTheirKeysLaterOnesAreRetriedAndTheLastCopiesStandInOrder() {
    // the first call fails a1 and c1; a2 and b1 pass
    FakeStream stream = new FakeStream((call, data) -> call == 1 && (data.equals("a1") || data.equals("c1")));
    KinesisPublisher publisher = new KinesisPublisher(stream, "s", new KinesisPublisher.Options(500, 1 << 20, RETRY));
    List<Entry> entries = List.of(entry("a", "a1"), entry("b", "b1"), entry("a", "a2"), entry("c", "c1"));
    KinesisPublisher.Published published = publisher.publish(entries).toCompletableFuture().join();
    assertThat(stream.calls).containsExactly(List.of("a1", "b1", "a2", "c1"), List.of("a1", "a2", "c1"));
    assertThat(stream.stored).containsExactly("b1", "a2", "a1", "a2", "c1");
    assertThat(published.calls()).isEqualTo(2);
    assertThat(published.resent()).isEqualTo(3);
    // where each entry's last copy went: a1 3rd, b1 1st, a2 4th, c1 5th
    assertThat(published.stored()).extracting(KinesisPublisher.Stored::sequenceNumber).containsExactly("3", "1", "4", "5");
  }

  @Test
  void anEntryFailingEveryAttemptFailsThePublishWithItsErrorCode() {
    FakeStream stream = new FakeStream((call, data) -> data.equals("x"));
    KinesisPublisher publisher = new KinesisPublisher(stream, "s", new KinesisPublisher.Options(500, 1 << 20, RETRY));
    assertThatThrownBy(() -> publisher.publish(List.of(entry("k", "ok"), entry("x", "x"))).toCompletableFuture().join())
        .hasMessageContaining(THROTTLED).hasMessageContaining("after 3 attempts");
    assertThat(stream.calls).hasSize(RETRY.maxAttempts());
    assertThat(stream.stored).containsExactly("ok");
  }

  @Test
  void aLaterBatchIsSentOnlyAfterTheEarlierOneIsWhole() {
    FakeStream stream = new FakeStream((call, data) -> call == 1 && data.equals("a1"));
    KinesisPublisher publisher = new KinesisPublisher(stream, "s", new KinesisPublisher.Options(2, 1 << 20, RETRY));
    publisher.publish(List.of(entry("a", "a1"), entry("b", "b1"), entry("a", "a2"))).toCompletableFuture().join();
    assertThat(stream.calls).containsExactly(List.of("a1", "b1"), List.of("a1"), List.of("a2"));
    assertThat(stream.stored).containsExactly("b1", "a1", "a2");
  }

  @Test
  void provisionedThroughputExceededIsWorthAnotherTry() {
    var throttled = ProvisionedThroughputExceededException.builder().statusCode(400)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(THROTTLED).build()).build();
    assertThat(Retrying.retryable(throttled)).isTrue();
  }
}
