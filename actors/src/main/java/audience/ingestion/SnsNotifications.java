package audience.ingestion;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import software.amazon.awssdk.services.sns.SnsAsyncClient;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Publishes {"type": T, "event": {...}} as JSON to the notifications topic; answers SNS's message id. */
public final class SnsNotifications {
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private SnsNotifications() {}

  public static CompletionStage<String> publish(SnsAsyncClient sns, String topicArn, String type, Object event,
                                         String subject) {
    String body;
    try {
      body = JSON.writeValueAsString(Map.of("type", type, "event", event));
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    return sns.publish(b -> b.topicArn(topicArn).message(body).subject(subject)).thenApply(r -> r.messageId());
  }
}
