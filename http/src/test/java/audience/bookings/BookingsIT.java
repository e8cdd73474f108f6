package audience.bookings;

import audience.aws.Bootstrap;
import audience.contract.MemberProfile;
import audience.devstack.DevStack;
import audience.devstack.EdmSandboxClient;
import audience.devstack.EdmSandboxFault;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.ingestion.IngestionDone;
import audience.ingestion.RunSpec;
import audience.segments.PriceBands;
import audience.segments.SegmentGenerator;
import audience.segments.SegmentMetadata;
import audience.service.AudienceNode;
import audience.store.SegmentStore;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.sqs.model.Message;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Book, create, upload, notify against the emulators and the EDM sandbox: the sandbox holds exactly the segment's
 * opted-in, in-window, non-erased members, each once, and the notifications topic carries exactly one success
 * message; then the sandbox answers 429, then 500, then succeeds (the booking completes, the attempts recorded),
 * and a platform down for good fails the booking with one failure notification.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BookingsIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final int MIN_AUDIENCE = 3;
  private static final ObjectMapper JSON = new ObjectMapper();
  private AudienceNode node;
  private EdmSandboxClient sandbox;
  private DatasetGenerator generator;
  private List<SegmentStore.SegmentRow> segments;
  private String queueUrl;

  @BeforeAll
  void start() {
    DevStack devstack = DevStack.shared();
    sandbox = devstack.edmSandbox();
    node = AudienceNode.start(TestNodes.settings(devstack, Map.of(
        "audience.segments.min-audience", MIN_AUDIENCE,
        "audience.segments.stream.reader.idle-poll", "100ms",
        "audience.bookings.creator.zone", "UTC",
        "audience.bookings.upload.chunk-size", 4,
        "audience.bookings.upload.min-backoff", "50ms",
        "audience.bookings.upload.max-backoff", "200ms",
        "audience.bookings.upload.max-attempts", 4,
        "audience.bookings.upload.poll-interval", "50ms")));
    String bucket = node.settings().resources().rawBucket();
    generator = new DatasetGenerator(new GeneratorSpec(2_000, 0, 9L, bucket, "book/", 0.0));
    new DatasetWriter().write(node.aws().s3(), generator, 16, n -> {}).join();
    TestProbe<IngestionDone> done = TestProbe.create(node.system());
    node.wiring().doneTopic().tell(Topic.subscribe(done.getRef()));
    node.wiring().ingestion().start(new RunSpec("book-run", bucket, "book/", generator.files(), "test"))
        .toCompletableFuture().join();
    done.fishForMessage(TIMEOUT, m -> m.runId().equals("book-run")
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    SegmentGenerator.View view = Poll.until("segments generated", TIMEOUT, Duration.ofMillis(200),
        () -> node.wiring().segments().status("book-run").toCompletableFuture().join().orElse(null),
        v -> v != null && v.phase() == SegmentGenerator.Phase.COMPLETED);
    segments = node.dependencies().segments().list(view.generationId(), SegmentStore.Filter.ALL).join().stream()
        .sorted(Comparator.comparingLong(SegmentStore.SegmentRow::audience).reversed()).toList();
    queueUrl = subscribeQueue();
  }

  @AfterAll
  void stop() {
    if (node != null) node.close();
  }

  @BeforeEach
  void freshSandbox() {
    sandbox.reset();
  }

  /** An SQS queue of this test's own on the notifications topic, as a subscriber outside the service would have. */
  private String subscribeQueue() {
    String url = node.aws().sqs().createQueue(b -> b.queueName(node.settings().resources().notificationsTopic()
        + "-bookings-it")).join().queueUrl();
    Bootstrap.subscribeQueue(node.aws(), node.dependencies().resources().notificationsTopicArn(), url);
    return url;
  }

  /** Every booking notification on the queue for {@code bookingId} within a while (the queue is drained). */
  private List<JsonNode> notificationsOf(String bookingId, int expected) {
    List<JsonNode> seen = new ArrayList<>();
    Poll.until(expected + " notification(s) of " + bookingId, TIMEOUT, Duration.ofMillis(100), () -> {
      for (Message m : node.aws().sqs().receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(1)
          .maxNumberOfMessages(10)).join().messages()) {
        try {
          JsonNode body = JSON.readTree(m.body());
          if (body.path("type").asText().startsWith("Booking")
              && body.path("event").path("bookingId").asText().equals(bookingId)) {
            seen.add(body);
          }
        } catch (Exception notJson) {
          // another kind of message on the topic
        }
        node.aws().sqs().deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle())).join();
      }
      return seen.size();
    }, n -> n >= expected);
    return seen;
  }

  /** Notifications of {@code bookingId} arriving within one more long poll (none expected). */
  private long laterNotificationsOf(String bookingId) {
    return node.aws().sqs().receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(2).maxNumberOfMessages(10))
        .join().messages().stream().filter(m -> m.body().contains(bookingId)).count();
  }

  private Booking awaitBooking(String bookingId, Booking.Status status) {
    return Poll.until(bookingId + " " + status.wire(), TIMEOUT, Duration.ofMillis(100),
        () -> node.wiring().bookings().get(bookingId).toCompletableFuture().join(),
        b -> b.status() == status || (status == Booking.Status.FAILED && b.status() == Booking.Status.FAILED
            && b.notified()));
  }

  private SegmentMetadata metadata(SegmentStore.SegmentRow row) {
    return SegmentMetadata.fromJson(node.aws().s3().getObject(b -> b.bucket(node.settings().resources()
        .segmentsBucket()).key(row.metadataKey()), AsyncResponseTransformer.toBytes()).join().asByteArray());
  }

  /** The segment's members, computed from the generator's files: newest snapshot per member, opted in, in window. */
  private Set<String> expectedMembers(SegmentMetadata m) {
    Map<String, Map.Entry<String, MemberProfile>> current = new HashMap<>();
    for (int i = 0; i < generator.files(); i++) {
      Map.Entry<String, MemberProfile> s = Map.entry(generator.key(i), generator.expectedProfile(i));
      current.merge(s.getValue().memberId(), s, (a, b) -> {
        int c = a.getValue().lastActive().compareTo(b.getValue().lastActive());
        return c > 0 || (c == 0 && a.getKey().compareTo(b.getKey()) > 0) ? a : b;
      });
    }
    return current.values().stream().map(Map.Entry::getValue).filter(p -> p.optIn()
            && p.state().wire().equals(m.state()) && p.suburb().equals(m.suburb())
            && p.intent().wire().equals(m.intent()) && p.propertyType().wire().equals(m.propertyType())
            && PriceBands.bandingPrice(p.priceMin(), p.priceMax()) >= m.priceLow()
            && (m.priceHigh() == null || PriceBands.bandingPrice(p.priceMin(), p.priceMax()) < m.priceHigh())
            && !p.lastActive().isBefore(m.windowFrom()) && !p.lastActive().isAfter(m.dataTime()))
        .map(MemberProfile::memberId).collect(Collectors.toSet());
  }

  private static LocalDate tomorrow() {
    return LocalDate.now(ZoneOffset.UTC).plusDays(1);
  }

  @Test
  void aBookingGoesToTheSandboxWithExactlyTheSegmentsMembersOnceAndOneSuccessNotification() {
    SegmentStore.SegmentRow largest = segments.get(0);
    SegmentMetadata m = metadata(largest);
    Set<String> expected = new java.util.HashSet<>(expectedMembers(m));
    assertThat(expected).hasSize((int) largest.audience());
    String erased = expected.iterator().next(); // erased before the booking: never mailed
    assertThat(node.dependencies().members().forget(erased).join()).isTrue();
    expected.remove(erased);

    Bookings bookings = node.wiring().bookings();
    Booking booked = bookings.book(largest.segmentId(), "spring sale", tomorrow(), "alice").toCompletableFuture()
        .join();
    assertThat(booked.status()).isEqualTo(Booking.Status.REQUESTED);
    // read your own write: the booking answers once the read model shows it
    assertThat(bookings.row(booked.bookingId()).toCompletableFuture().join()).hasValueSatisfying(r ->
        assertThat(r.status()).isEqualTo("requested"));
    assertThat(bookings.runCreator().toCompletableFuture().join().bookings()).isGreaterThanOrEqualTo(1);

    Booking done = awaitBooking(booked.bookingId(), Booking.Status.NOTIFIED);
    assertThat(done.audience().members()).isEqualTo(expected.size());
    assertThat(done.upload().imported()).isEqualTo(expected.size());
    assertThat(done.chunks()).hasSize((expected.size() + 3) / 4);
    assertThat(sandbox.importCounts()).as("exactly the segment's members, each once").isEqualTo(
        expected.stream().collect(Collectors.toMap(id -> id, id -> 1)));
    List<JsonNode> notes = notificationsOf(booked.bookingId(), 1);
    assertThat(laterNotificationsOf(booked.bookingId())).as("one success message, not two").isZero();
    assertThat(notes).singleElement().satisfies(n -> {
      assertThat(n.path("type").asText()).isEqualTo("BookingUploaded");
      assertThat(n.path("event").path("imported").asLong()).isEqualTo(expected.size());
      assertThat(n.toString()).doesNotContain("@");
    });
    var row = bookings.list(java.util.Optional.empty(), java.util.Optional.of(largest.segmentId()))
        .toCompletableFuture().join();
    assertThat(row).anySatisfy(r -> {
      assertThat(r.bookingId()).isEqualTo(booked.bookingId());
      assertThat(r.status()).isEqualTo("notified");
      assertThat(r.requestedBy()).isEqualTo("alice");
    });
    // a second booking of the same date is refused with the reason
    Throwable refused = bookings.book(largest.segmentId(), "other", tomorrow(), "bob").toCompletableFuture()
        .handle((b, e) -> e instanceof CompletionException && e.getCause() != null ? e.getCause() : e).join();
    assertThat(refused).isInstanceOf(StatusReply.ErrorMessage.class).hasMessageContaining("already booked");
  }

  @Test
  void throttlingThenAServerErrorAreRetriedAndAPlatformDownForGoodFailsTheBookingOnce() {
    Bookings bookings = node.wiring().bookings();
    SegmentStore.SegmentRow second = segments.get(1);
    sandbox.script(EdmSandboxFault.rateLimited(Duration.ofSeconds(1)), EdmSandboxFault.serverError(500));
    Booking b = bookings.book(second.segmentId(), "retry", tomorrow(), "alice").toCompletableFuture().join();
    awaitRow(b.bookingId()); // the creator finds requested bookings in the read model, written after the answer
    node.wiring().bookings().runCreator().toCompletableFuture().join();
    Booking done = awaitBooking(b.bookingId(), Booking.Status.NOTIFIED);
    assertThat(done.attempts()).isEqualTo(2);
    assertThat(sandbox.importCounts().values()).isNotEmpty().allMatch(n -> n == 1);

    SegmentStore.SegmentRow third = segments.get(2);
    List<EdmSandboxFault> down = new ArrayList<>();
    for (int i = 0; i < 20; i++) down.add(EdmSandboxFault.serverError(503));
    sandbox.script(down.toArray(EdmSandboxFault[]::new));
    Booking c = bookings.book(third.segmentId(), "down", tomorrow(), "alice").toCompletableFuture().join();
    awaitRow(c.bookingId());
    node.wiring().bookings().runCreator().toCompletableFuture().join();
    Booking failed = awaitBooking(c.bookingId(), Booking.Status.FAILED);
    assertThat(failed.failure()).contains("still failing after 4 attempts");
    assertThat(notificationsOf(c.bookingId(), 1)).singleElement()
        .satisfies(n -> assertThat(n.path("type").asText()).isEqualTo("BookingFailed"));
    sandbox.clearFaults();
  }

  private void awaitRow(String bookingId) {
    Poll.until(bookingId + " in the read model", TIMEOUT, Duration.ofMillis(100),
        () -> node.wiring().bookings().row(bookingId).toCompletableFuture().join(), java.util.Optional::isPresent);
  }
}
