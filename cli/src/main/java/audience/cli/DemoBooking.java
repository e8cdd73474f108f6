package audience.cli;

import audience.aws.Bootstrap;
import audience.bookings.Booking;
import audience.devstack.EdmSandboxClient;
import audience.service.AudienceNode;
import audience.store.SegmentStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import software.amazon.awssdk.services.sqs.model.Message;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * The demo's bookings stage: books the largest segment for tomorrow, runs the booking creator, follows the booking
 * to its end, and reports the status reached, the members in its audience file, the members the EDM sandbox holds,
 * and the notification an outside subscriber (a queue of its own on the notifications topic) received.
 */
final class DemoBooking {
  private static final Duration NOTIFICATION_WAIT = Duration.ofSeconds(20);
  private static final int LONG_POLL_SECONDS = 2;
  private static final ObjectMapper JSON = new ObjectMapper();

  private DemoBooking() {}

  static boolean run(AudienceNode node, List<SegmentStore.SegmentRow> segments, String tag, ObjectNode summary)
      throws InterruptedException {
    ObjectNode out = summary.putObject("bookings");
    if (segments.isEmpty()) {
      out.put("skipped", "no segment to book");
      return false;
    }
    SegmentStore.SegmentRow largest = segments.get(0);
    String queueUrl = subscribe(node, "demo-notifications-" + tag);
    var bookings = node.wiring().bookings();
    LocalDate sendDate = LocalDate.now(node.settings().bookings().creator().zone()).plusDays(1);
    Instant t0 = Instant.now();
    Booking booked = bookings.book(largest.segmentId(), "demo campaign", sendDate, "demo").toCompletableFuture().join();
    bookings.runCreator().toCompletableFuture().join();
    Booking[] last = new Booking[1];
    ProgressView.follow("booking " + booked.bookingId(), () -> {
      last[0] = bookings.get(booked.bookingId()).toCompletableFuture().join();
      boolean ended = last[0].status().terminal();
      return new ProgressView.Snapshot(ended ? 1 : 0, 1, last[0].status().wire(), ended);
    });
    Booking b = last[0];
    long members = b.audience() == null ? 0 : b.audience().members();
    int sandboxMembers = EdmSandboxClient.at(URI.create(node.settings().bookings().edm().baseUrl()))
        .importCounts().size();
    String received = awaitNotification(node, queueUrl, b.bookingId());
    out.put("bookingId", b.bookingId()).put("segmentId", largest.segmentId()).put("status", b.status().wire())
        .put("audienceMembers", members).put("imported", b.upload() == null ? 0 : b.upload().imported())
        .put("sandboxMembers", sandboxMembers).put("notification", received)
        .put("ms", Duration.between(t0, Instant.now()).toMillis());
    System.err.printf("booking %s of %s: %s, %d members in the audience file, %d in the EDM sandbox, notification %s%n",
        b.bookingId(), largest.segmentId(), b.status().wire(), members, sandboxMembers, received);
    return b.status() == Booking.Status.NOTIFIED && sandboxMembers == members && !received.isEmpty();
  }

  /** A queue of the demo's own on the notifications topic (raw delivery), as an outside subscriber has. */
  private static String subscribe(AudienceNode node, String name) {
    String url = node.aws().sqs().createQueue(b -> b.queueName(name)).join().queueUrl();
    Bootstrap.subscribeQueue(node.aws(), node.dependencies().resources().notificationsTopicArn(), url);
    return url;
  }

  /** The type of the booking's notification the queue received ("" when none came in time). */
  private static String awaitNotification(AudienceNode node, String queueUrl, String bookingId) {
    Instant deadline = Instant.now().plus(NOTIFICATION_WAIT);
    while (Instant.now().isBefore(deadline)) {
      for (Message m : node.aws().sqs().receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(LONG_POLL_SECONDS)
          .maxNumberOfMessages(10)).join().messages()) {
        try {
          JsonNode body = JSON.readTree(m.body());
          if (body.path("event").path("bookingId").asText().equals(bookingId)) return body.path("type").asText();
        } catch (Exception notJson) {
          // another kind of message on the topic
        }
      }
    }
    return "";
  }
}
