package audience.ingestion;

import software.amazon.awssdk.services.sns.SnsAsyncClient;

import java.time.Instant;
import java.util.concurrent.CompletionStage;

/** Tells operators outside the cluster that a run is stalled (a failure notification); returns the message id. */
@FunctionalInterface
public interface StallNotifier {
  CompletionStage<String> notify(IngestionStalled stalled);

  /** What the failure notification carries: which run, over what, why, since when. No personal data. */
  record IngestionStalled(String runId, String bucket, String prefix, String reason, Instant since) {}

  /** Publishes {"type": "IngestionStalled", "event": {...}} as JSON to an SNS topic, the run id in the subject. */
  static StallNotifier sns(SnsAsyncClient sns, String topicArn) {
    return stalled -> SnsNotifications.publish(sns, topicArn, "IngestionStalled", stalled,
        "ingestion stalled: " + stalled.runId());
  }
}
