package audience.kinesis;

import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One shard in memory behind the two calls a {@link ShardReader} makes. Sequence numbers start at 2^128 so that they
 * overflow a long. Faults on demand: throttled GetRecords calls, an expired iterator.
 */
final class FakeShard implements KinesisAsyncClient {
  static final BigInteger FIRST = BigInteger.ONE.shiftLeft(128);
  private static final String THROTTLED = "ProvisionedThroughputExceededException";
  private static final int HTTP_BAD_REQUEST = 400;

  private final List<Record> records = new ArrayList<>();
  private volatile boolean closed;
  final AtomicInteger throttles = new AtomicInteger();
  final AtomicInteger expiries = new AtomicInteger();
  final List<String> iteratorRequests = new ArrayList<>();
  final AtomicInteger getRecordsCalls = new AtomicInteger();

  synchronized void add(int n) {
    for (int i = 0; i < n; i++) {
      int index = records.size();
      records.add(Record.builder().partitionKey("k" + index).sequenceNumber(FIRST.add(BigInteger.valueOf(index)).toString())
          .data(SdkBytes.fromString("r" + index, StandardCharsets.UTF_8)).build());
    }
  }

  void close(boolean closed) {
    this.closed = closed;
  }

  static String sequenceOf(int index) {
    return FIRST.add(BigInteger.valueOf(index)).toString();
  }

  @Override
  public synchronized CompletableFuture<GetShardIteratorResponse> getShardIterator(GetShardIteratorRequest r) {
    int position = r.shardIteratorType() == ShardIteratorType.TRIM_HORIZON ? 0
        : new BigInteger(r.startingSequenceNumber()).subtract(FIRST).intValueExact() + 1;
    iteratorRequests.add(r.shardIteratorTypeAsString() + (r.startingSequenceNumber() == null ? "" : " " + r.startingSequenceNumber()));
    return CompletableFuture.completedFuture(GetShardIteratorResponse.builder().shardIterator("at-" + position).build());
  }

  @Override
  public synchronized CompletableFuture<GetRecordsResponse> getRecords(GetRecordsRequest r) {
    getRecordsCalls.incrementAndGet();
    if (throttles.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return CompletableFuture.failedFuture(ProvisionedThroughputExceededException.builder().statusCode(HTTP_BAD_REQUEST)
          .awsErrorDetails(AwsErrorDetails.builder().errorCode(THROTTLED).errorMessage("slow down").build()).build());
    }
    if (expiries.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return CompletableFuture.failedFuture(ExpiredIteratorException.builder().statusCode(HTTP_BAD_REQUEST)
          .awsErrorDetails(AwsErrorDetails.builder().errorCode("ExpiredIteratorException").build()).build());
    }
    int position = Integer.parseInt(r.shardIterator().substring("at-".length()));
    int end = Math.min(records.size(), position + r.limit());
    boolean drained = closed && end == records.size();
    return CompletableFuture.completedFuture(GetRecordsResponse.builder()
        .records(new ArrayList<>(records.subList(position, end)))
        .nextShardIterator(drained ? null : "at-" + end)
        .millisBehindLatest(0L).build());
  }

  @Override
  public String serviceName() {
    return SERVICE_NAME;
  }

  @Override
  public void close() {}
}
