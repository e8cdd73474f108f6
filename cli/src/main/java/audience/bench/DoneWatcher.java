package audience.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import software.amazon.awssdk.services.sns.SnsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Listens for the service's done events the way an outside consumer would: an SQS queue of its own, subscribed
 * with raw delivery to the notifications SNS topic, long-polled by a thread that stamps each message with the
 * time it arrived here. Keeps the first event per run (delivery is at least once).
 */
final class DoneWatcher implements AutoCloseable {
  /** A done event and when this process received it. */
  record Received(JsonNode event, Instant receivedAt) {
    Instant instant(String field) {
      return DoneWatcher.instant(event, field);
    }
  }

  /** An instant field of the service's JSON (event or status); null when absent, empty or null. */
  static Instant instant(JsonNode node, String field) {
    String s = node.path(field).asText(null);
    return s == null || s.isEmpty() || s.equals("null") ? null : Instant.parse(s);
  }

  private final SqsAsyncClient sqs;
  private final SnsAsyncClient sns;
  private final String queueUrl;
  private final String subscriptionArn;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, Received> byRun = new ConcurrentHashMap<>();
  private final Thread poller;
  private volatile boolean running = true;

  private DoneWatcher(SqsAsyncClient sqs, SnsAsyncClient sns, String queueUrl, String subscriptionArn) {
    this.sqs = sqs;
    this.sns = sns;
    this.queueUrl = queueUrl;
    this.subscriptionArn = subscriptionArn;
    this.poller = new Thread(this::poll, "bench-done-watcher");
    poller.setDaemon(true);
  }

  /** Creates the queue, subscribes it to {@code topicName} (CreateTopic is idempotent) and starts polling. */
  static DoneWatcher start(SqsAsyncClient sqs, SnsAsyncClient sns, String topicName, String queueName) {
    String topicArn = sns.createTopic(b -> b.name(topicName)).join().topicArn();
    String queueUrl = sqs.createQueue(b -> b.queueName(queueName)).join().queueUrl();
    String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
        .join().attributes().get(QueueAttributeName.QUEUE_ARN);
    // The SNS emulator delivers to the queue URL; AWS wants the queue ARN.
    String endpoint = sqs.serviceClientConfiguration().endpointOverride().isPresent() ? queueUrl : queueArn;
    String subscription = sns.subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(endpoint)
        .attributes(Map.of("RawMessageDelivery", "true"))).join().subscriptionArn();
    DoneWatcher w = new DoneWatcher(sqs, sns, queueUrl, subscription);
    w.poller.start();
    return w;
  }

  private void poll() {
    while (running) {
      try {
        var messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(2).maxNumberOfMessages(10))
            .get(30, TimeUnit.SECONDS).messages();
        Instant now = Instant.now();
        for (Message m : messages) {
          accept(m.body(), now);
          sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (running) Progress.log("done watcher: receive failed: %s", e);
        try {
          Thread.sleep(200); // back off after a failed receive
        } catch (InterruptedException i) {
          return;
        }
      }
    }
  }

  private void accept(String body, Instant receivedAt) {
    try {
      JsonNode root = json.readTree(body);
      if (!"IngestionCompleted".equals(root.path("type").asText())) return;
      JsonNode event = root.path("event");
      String runId = event.path("runId").asText(null);
      if (runId == null) return;
      synchronized (this) {
        byRun.putIfAbsent(runId, new Received(event, receivedAt));
        notifyAll();
      }
    } catch (Exception e) {
      Progress.log("done watcher: not a done event: %s", body);
    }
  }

  /** The run's done event, waiting at most {@code timeout}. */
  synchronized Optional<Received> await(String runId, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!byRun.containsKey(runId)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) return Optional.empty();
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return Optional.of(byRun.get(runId));
  }

  @Override
  public void close() {
    running = false;
    poller.interrupt();
    try {
      sns.unsubscribe(b -> b.subscriptionArn(subscriptionArn)).get(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort: the emulators are about to stop anyway
    }
  }
}
