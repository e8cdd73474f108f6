package audience.ingestion;

import audience.generator.ExpectedSegments;
import audience.segments.PriceBand;
import audience.segments.SegmentGenerator;
import audience.segments.SegmentKey;
import audience.store.SegmentStore;

import audience.devstack.DevStack;
import audience.devstack.FaultRule;
import audience.devstack.FaultRules;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.Expectation;
import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.service.AudienceNode;
import audience.store.QuarantineStore;
import audience.store.RunAudit;
import audience.store.RunPhase;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run through the devstack's fault proxy, as AWS sometimes is: 5 % of the calls to every service throttled, failed
 * with a 5xx or reset, and a permanent 403 on a few objects. The run completes with nothing lost, equal to the
 * generator's ground truth, and exactly the denied objects quarantined as UNREADABLE; its segments, generated,
 * published on Kinesis and consumed under the same faults, equal an independent computation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultyIngestionIT {
  private static final int FILES = 1200;
  private static final int BAD = 12;
  private static final String PREFIX = "faulty/";
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(6);
  private static final long SEED = 7;
  private static final double ERRORS = 0.04;
  private static final double RESETS = 0.01;
  /** Low enough that this small data set has interesting segments. */
  private static final int MIN_AUDIENCE = 2;

  private DevStack devstack;
  private AudienceNode node;

  @BeforeAll
  void start() {
    Path home = Path.of("target", "devstack-faults-" + ProcessHandle.current().pid());
    devstack = DevStack.start(DevStack.Options.transientIn(home).withFaults());
    node = AudienceNode.start(TestNodes.settings(devstack, Map.of("audience.ingestion.chunk-size", 50,
        "audience.ingestion.retry.max-backoff", "500ms", "audience.ingestion.resend-interval", "1s",
        "audience.segments.min-audience", MIN_AUDIENCE, "audience.segments.generator.retry-backoff", "500ms",
        "audience.segments.stream.reader.idle-poll", "100ms", "audience.segments.stream.shards", 2)));
  }

  @AfterAll
  void stop() {
    if (node != null) node.close();
    if (devstack != null) devstack.close();
  }

  @Test
  void aRunUnderInjectedFaultsLosesNothingAndQuarantinesExactlyTheDeniedObjects() {
    String bucket = node.settings().resources().rawBucket();
    DatasetGenerator generator = new DatasetGenerator(new GeneratorSpec(FILES, BAD, SEED, bucket, PREFIX, 0.1));
    GroundTruth truth = new DatasetWriter().write(node.aws().s3(), generator, 16, done -> {}).join();
    List<String> denied = new ArrayList<>();
    for (int i = 0; denied.size() < 3; i += 97) {
      if (generator.expectation(i) instanceof Expectation.Good) denied.add(generator.key(i));
    }

    FaultRules rules = FaultRules.seed(SEED);
    for (String key : denied) {
      rules = rules.with(DevStack.Service.S3, FaultRule.matching("denied " + key, FaultRule.Match.pathContains(key))
          .withErrors(1.0, "AccessDenied"));
    }
    devstack.faults().set(rules.withEverywhere(FaultRule.all("weather").withErrors(ERRORS).withResets(RESETS)));

    RunSpec spec = new RunSpec(RunIds.forUpload(bucket, PREFIX, "faulty"), bucket, PREFIX, FILES, "test");
    Ingestion ingestion = node.wiring().ingestion();
    Poll.until("the run is accepted", RUN_TIMEOUT, Duration.ofMillis(500), () -> {
      try {
        return ingestion.start(spec).toCompletableFuture().join();
      } catch (RuntimeException throttledOnTheWayIn) {
        return null; // the start's own calls meet the faults too: asking again is what a client does
      }
    }, started -> started != null);
    IngestionStatus status = Poll.until("completed under faults", RUN_TIMEOUT, Duration.ofMillis(500),
        () -> ingestion.status(spec.runId()).toCompletableFuture().join().orElse(null),
        s -> s != null && s.state() == RunPhase.COMPLETED);
    // the run's segments are generated, published, consumed and listed under the same weather
    FaultRules weather = rules;
    SegmentGenerator.View generation = Poll.until("segments generated under faults", RUN_TIMEOUT,
        Duration.ofMillis(500), () -> node.wiring().segments().status(spec.runId()).toCompletableFuture().join()
            .orElse(null), v -> v != null && v.phase() == SegmentGenerator.Phase.COMPLETED);
    var counts = devstack.faults().counts();
    devstack.faults().clear(); // read back without weather
    assertThat(counts.of(DevStack.Service.KINESIS).rule("weather").errors() + counts.of(DevStack.Service.KINESIS)
        .rule("weather").resets()).as("faults were injected on Kinesis too: %s", counts).isPositive();
    assertSegmentsEqualTheReference(generator, denied, status, generation);
    aBookingUnderTheSameWeatherImportsItsAudienceOnce(generation, weather);

    var deps = node.dependencies();
    RunAudit.Result audit = RunAudit.audit(node.aws().s3(), node.aws().dynamo(), deps.members(), deps.quarantine(),
        bucket, PREFIX, spec.runId());
    assertThat(audit.lost()).as("lost, e.g. %s (faults %s)", audit.lostSample(), counts).isZero();
    assertThat(audit.doubled()).isZero();
    assertThat(audit.ingested()).isEqualTo(truth.expectedValidFiles() - denied.size());
    assertThat(status.ingested()).isEqualTo(audit.ingested());
    Map<String, String> unreadable = deps.quarantine().forRun(spec.runId()).join().stream()
        .filter(q -> q.kind().equals(ChunkProcessor.UNREADABLE))
        .collect(Collectors.toMap(QuarantineStore.Quarantined::fileKey, QuarantineStore.Quarantined::reason));
    assertThat(unreadable.keySet()).isEqualTo(Set.copyOf(denied));
    assertThat(unreadable.values()).allSatisfy(r -> assertThat(r).contains("access denied"));
    assertThat(audit.quarantined()).isEqualTo(truth.expectedQuarantined() + denied.size());
  }

  /** The generation equals an independent computation over the good files that were not denied. */
  private void assertSegmentsEqualTheReference(DatasetGenerator generator, List<String> denied, IngestionStatus status,
                                               SegmentGenerator.View generation) {
    List<Map.Entry<String, audience.contract.MemberProfile>> stored = new ArrayList<>();
    for (int i = 0; i < generator.files(); i++) {
      if (!generator.isBad(i) && !denied.contains(generator.key(i))) {
        stored.add(Map.entry(generator.key(i), generator.expectedProfile(i)));
      }
    }
    var settings = node.settings().segments();
    Map<audience.contract.Intent, List<Long>> bounds = new java.util.EnumMap<>(audience.contract.Intent.class);
    settings.priceBands().forEach((wire, b) -> bounds.put(audience.contract.Intent.fromWire(wire).orElseThrow(), b));
    var rules = new ExpectedSegments.Rules(bounds, settings.priceBuckets(), MIN_AUDIENCE, generation.dataTime(),
        settings.activityWindow());
    Map<String, Long> expected = new java.util.HashMap<>();
    ExpectedSegments.all(stored, rules).values().stream().filter(e -> e.audience() >= MIN_AUDIENCE).forEach(e -> {
      ExpectedSegments.Key k = e.key();
      expected.put(new SegmentKey(k.state(), k.suburb(), k.intent(), k.propertyType(),
          new PriceBand(k.bandLow(), k.bandHigh())).id(), e.audience());
    });
    assertThat(expected).as("the data set has interesting segments").isNotEmpty();
    Map<String, Long> rows = node.dependencies().segments().list(generation.generationId(),
        SegmentStore.Filter.ALL).join().stream()
        .collect(Collectors.toMap(SegmentStore.SegmentRow::segmentId, SegmentStore.SegmentRow::audience));
    assertThat(rows).isEqualTo(expected);
    assertThat(generation.segments()).isEqualTo(expected.size());
    assertThat(status.completedAt()).isNotNull();
  }

  /** S3, DynamoDB and SNS failing 5 % of their calls: the largest segment's booking still ends notified, once each. */
  private void aBookingUnderTheSameWeatherImportsItsAudienceOnce(SegmentGenerator.View generation, FaultRules rules) {
    SegmentStore.SegmentRow largest = node.dependencies().segments().list(generation.generationId(),
        SegmentStore.Filter.ALL).join().stream()
        .max(java.util.Comparator.comparingLong(SegmentStore.SegmentRow::audience)).orElseThrow();
    var sandbox = devstack.edmSandbox();
    sandbox.reset();
    devstack.faults().set(rules.withEverywhere(FaultRule.all("weather").withErrors(ERRORS).withResets(RESETS)));
    var bookings = node.wiring().bookings();
    java.time.LocalDate tomorrow = java.time.LocalDate.now(node.settings().bookings().creator().zone()).plusDays(1);
    var booked = Poll.until("the booking is accepted", RUN_TIMEOUT, Duration.ofMillis(500), () -> {
      try {
        return bookings.book(largest.segmentId(), "weather", tomorrow, "ops").toCompletableFuture().join();
      } catch (RuntimeException throttledOnTheWayIn) {
        return null; // the booking's own calls meet the faults too: asking again is what a client does
      }
    }, b -> b != null);
    Poll.until("the booking in the read model", RUN_TIMEOUT, Duration.ofMillis(500), () -> {
      try {
        return bookings.list(java.util.Optional.of("requested"), java.util.Optional.of(largest.segmentId()))
            .toCompletableFuture().join();
      } catch (RuntimeException throttled) {
        return List.<audience.store.BookingStore.BookingRow>of();
      }
    }, rows -> !rows.isEmpty());
    Poll.until("the creator ran", RUN_TIMEOUT, Duration.ofMillis(500), () -> {
      try {
        return bookings.runCreator().toCompletableFuture().join();
      } catch (RuntimeException throttled) {
        return null;
      }
    }, r -> r != null);
    var done = Poll.until("the booking notified under faults", RUN_TIMEOUT, Duration.ofMillis(500), () -> {
      try {
        return bookings.get(booked.bookingId()).toCompletableFuture().join();
      } catch (RuntimeException throttled) {
        return null;
      }
    }, b -> b != null && b.status().terminal());
    var counts = devstack.faults().counts();
    devstack.faults().clear();
    assertThat(done.status()).as("%s (faults %s)", done.failure(), counts).isEqualTo(
        audience.bookings.Booking.Status.NOTIFIED);
    assertThat(done.audience().members()).isEqualTo(largest.audience());
    assertThat(sandbox.importCounts()).hasSize((int) largest.audience()).allSatisfy((m, n) -> assertThat(n).isEqualTo(1));
    assertThat(counts.of(DevStack.Service.S3).rule("weather").matched() + counts.of(DevStack.Service.DYNAMODB)
        .rule("weather").matched()).as("the booking's S3 and DynamoDB calls went through the weather: %s", counts)
        .isPositive();
  }
}
