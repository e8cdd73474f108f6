package audience.ingestion;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import software.amazon.awssdk.services.sns.SnsAsyncClient;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Sends the done event outside the cluster; returns the message id. */
@FunctionalInterface
public interface DoneNotifier {
  CompletionStage<String> notify(IngestionDone done);

  /** Publishes {"type": "IngestionCompleted", "event": {...}} as JSON to an SNS topic, the run id in the subject. */
  static DoneNotifier sns(SnsAsyncClient sns, String topicArn) {
    ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    return done -> {
      String body;
      try {
        body = json.writeValueAsString(Map.of("type", "IngestionCompleted", "event", done));
      } catch (Exception e) {
        return CompletableFuture.failedFuture(e);
      }
      return sns.publish(b -> b.topicArn(topicArn).message(body).subject("ingestion completed: " + done.runId()))
          .thenApply(r -> r.messageId());
    };
  }
}
