package audience.ingestion;

import audience.config.Settings.TriggerSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Long-polls the trigger queue (subscribed to the "upload complete" SNS topic) and starts one run per
 * message. A message is deleted only once its run is started (or it is refused: malformed, not an allowed source,
 * no such bucket; logged with the reason), so a crash
 * before that means a redelivery, which names the same run and is answered "already started".
 */
public final class TriggerListener {
  private static final Duration RECEIVE_FAILURE_BACKOFF = Duration.ofSeconds(2);

  private sealed interface Command permits Poll, Received, Handled {}

  private record Poll() implements Command {}

  private record Received(List<Message> messages, Throwable error) implements Command {}

  private record Handled() implements Command {}

  private TriggerListener() {}

  public static Behavior<?> create(SqsAsyncClient sqs, String queueUrl, TriggerSettings settings, Ingestion ingestion) {
    ObjectMapper json = new ObjectMapper();
    return Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.getSelf().tell(new Poll());
      ctx.getLog().info("listening for upload-complete messages on {}", queueUrl);
      return Behaviors.receive(Command.class)
          .onMessage(Poll.class, p -> {
            ctx.pipeToSelf(sqs.receiveMessage(b -> b.queueUrl(queueUrl)
                    .waitTimeSeconds((int) settings.waitTime().toSeconds())
                    .maxNumberOfMessages(settings.maxMessages())
                    .visibilityTimeout((int) settings.visibilityTimeout().toSeconds())),
                (r, e) -> new Received(r == null ? List.of() : r.messages(), e));
            return Behaviors.same();
          })
          .onMessage(Received.class, r -> {
            if (r.error() != null) {
              ctx.getLog().warn("receive from {} failed, polling again in {}: {}", queueUrl, RECEIVE_FAILURE_BACKOFF,
                  r.error().toString());
              timers.startSingleTimer(new Poll(), RECEIVE_FAILURE_BACKOFF);
              return Behaviors.same();
            }
            CompletableFuture<?>[] handled = r.messages().stream()
                .map(m -> handle(ctx.getLog(), json, sqs, queueUrl, ingestion, m))
                .toArray(CompletableFuture[]::new);
            ctx.pipeToSelf(CompletableFuture.allOf(handled), (v, e) -> new Handled());
            return Behaviors.same();
          })
          .onMessage(Handled.class, h -> {
            ctx.getSelf().tell(new Poll());
            return Behaviors.same();
          })
          .build();
    })).narrow();
  }

  private static CompletableFuture<Void> handle(org.slf4j.Logger log, ObjectMapper json, SqsAsyncClient sqs,
                                                String queueUrl, Ingestion ingestion, Message m) {
    // not the SQS message id: an SNS redelivery arrives as a new SQS message (see TriggerMessage)
    TriggerMessage.Parsed parsed = TriggerMessage.parse(json, m.body(), null, "sns");
    if (parsed instanceof TriggerMessage.Refused refused) {
      log.error("upload-complete message {} refused and dropped: {}; body: {}", m.messageId(), refused.reason(),
          m.body().length() > 500 ? m.body().substring(0, 500) + "..." : m.body());
      return delete(sqs, queueUrl, m);
    }
    RunSpec spec = ((TriggerMessage.Run) parsed).spec();
    return ingestion.start(spec).toCompletableFuture()
        .handle((started, e) -> {
          if (e == null) {
            log.info("upload-complete message {} for s3://{}/{}: run {} {}", m.messageId(), spec.bucket(),
                spec.prefix(), started.runId(), started.created() ? "started" : "already started (duplicate delivery)");
            return delete(sqs, queueUrl, m);
          }
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          if (cause instanceof IllegalArgumentException refused) {
            // not a source the service owns, or a bucket that does not exist: no run, and no redelivery
            log.error("upload-complete message {} refused and dropped: {}", m.messageId(), refused.getMessage());
            return delete(sqs, queueUrl, m);
          }
          log.error("could not start run {} for message {}; it will be delivered again: {}", spec.runId(),
              m.messageId(), e.toString());
          return CompletableFuture.<Void>completedFuture(null);
        })
        .thenCompose(deleted -> deleted);
  }

  private static CompletableFuture<Void> delete(SqsAsyncClient sqs, String queueUrl, Message m) {
    return sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle())).thenApply(r -> null);
  }
}
