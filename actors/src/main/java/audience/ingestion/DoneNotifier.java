package audience.ingestion;

import software.amazon.awssdk.services.sns.SnsAsyncClient;

import java.util.concurrent.CompletionStage;

/** Sends the done event outside the cluster; returns the message id. */
@FunctionalInterface
public interface DoneNotifier {
  CompletionStage<String> notify(IngestionDone done);

  /** Publishes {"type": "IngestionCompleted", "event": {...}} as JSON to an SNS topic, the run id in the subject. */
  static DoneNotifier sns(SnsAsyncClient sns, String topicArn) {
    return done -> SnsNotifications.publish(sns, topicArn, "IngestionCompleted", done,
        "ingestion completed: " + done.runId());
  }
}
