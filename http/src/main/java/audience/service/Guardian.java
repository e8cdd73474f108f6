package audience.service;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.contract.ContractLimits;
import audience.contract.ContractParser;
import audience.ingestion.BucketCheck;
import audience.ingestion.ChunkProcessor;
import audience.ingestion.DoneNotifier;
import audience.ingestion.FileListing;
import audience.ingestion.Ingestion;
import audience.ingestion.IngestionDone;
import audience.ingestion.IngestionMetrics;
import audience.ingestion.StallNotifier;
import audience.ingestion.TriggerListener;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.store.RunStore;
import audience.store.SegmentStore;
import audience.store.BookingStore;
import audience.store.ReadCache;
import audience.segments.Manifest;
import audience.bookings.AudienceExport;
import audience.bookings.AudienceUploader;
import audience.bookings.Booking;
import audience.bookings.BookingRows;
import audience.bookings.BookingMetrics;
import audience.bookings.Bookings;
import audience.bookings.CreatorSchedule;
import audience.bookings.HttpEdmPlatform;
import audience.bookings.SegmentBooking;
import audience.bookings.SegmentLookup;
import audience.bookings.SnsBookingNotifier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import java.util.Optional;
import java.util.concurrent.Executor;
import audience.kinesis.KinesisPublisher;
import audience.segments.ManifestStore;
import audience.segments.SegmentConsumers;
import audience.segments.SegmentGenerations;
import audience.segments.SegmentGenerator;
import audience.segments.SegmentMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The root actor of a node: joins the cluster (itself, unless the cluster overlay is on), then a short list of
 * features, each started by its own init (segments: generators and shard consumers; ingestion, whose done event
 * starts a generation; bookings later), the trigger listener, and the periodic wake of unfinished runs.
 */
public final class Guardian {
  private static final Logger log = LoggerFactory.getLogger(Guardian.class);

  /** What the node hands to the HTTP layer once the guardian is up. */
  public record Wiring(Ingestion ingestion, SegmentGenerations segments, Bookings bookings,
                       ActorRef<Topic.Command<IngestionDone>> doneTopic) {}

  /** Everything built outside the actor system; {@code metrics}: the node's registry, handed to every feature. */
  public record Dependencies(Settings settings, AwsClients aws, Bootstrap.Resolved resources, MemberStore members,
                             QuarantineStore quarantine, RunStore runs, SegmentStore segments,
                             BookingStore bookings, Clock clock, MeterRegistry metrics) {}

  private Guardian() {}

  public static Behavior<Void> create(Dependencies deps, CompletableFuture<Wiring> ready) {
    return Behaviors.<Void>setup(ctx -> {
      Settings settings = deps.settings();
      if (!settings.cluster()) {
        Cluster cluster = Cluster.get(ctx.getSystem());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      ActorRef<Topic.Command<IngestionDone>> doneTopic =
          ctx.spawn(Topic.create(IngestionDone.class, IngestionDone.TOPIC), IngestionDone.TOPIC);

      SegmentMetrics segmentMetrics = new SegmentMetrics(deps.metrics());
      SegmentGenerations segments = SegmentGenerations.init(ctx.getSystem(), segmentDependencies(deps, segmentMetrics));
      SegmentConsumers.init(ctx.getSystem(), new SegmentConsumers.Dependencies(deps.aws().s3(), deps.aws().kinesis(),
          deps.segments(), settings, deps.clock(), segmentMetrics));
      // The done event's outbox: the SNS notification, then the run's segment generation (both repeated until
      // they succeed; the generation request is idempotent).
      DoneNotifier sns = DoneNotifier.sns(deps.aws().sns(), deps.resources().notificationsTopicArn());
      DoneNotifier done = event -> sns.notify(event)
          .thenCompose(messageId -> segments.generate(event).thenApply(view -> messageId));
      Ingestion ingestion = Ingestion.init(ctx.getSystem(), ingestionDependencies(deps, doneTopic, done,
          Materializer.createMaterializer(ctx.getSystem())));
      if (settings.trigger().enabled()) {
        ctx.spawn(TriggerListener.create(deps.aws().sqs(), deps.resources().triggerQueueUrl(), settings.trigger(),
            ingestion), "trigger-listener");
      }
      // Wake unfinished runs now (left by a previous process) and then periodically: a run whose entity moved
      // to another node, or stopped with nothing in flight, resumes from its committed offset.
      ctx.getSystem().scheduler().scheduleAtFixedRate(Duration.ZERO, settings.ingestion().wakeInterval(),
          () -> wakeUnfinished(ingestion), ctx.getExecutionContext());
      Bookings bookings = Bookings.init(ctx.getSystem(), bookingDependencies(deps, ctx.getSystem()));
      ready.complete(new Wiring(ingestion, segments, bookings, doneTopic));
      return Behaviors.empty();
    });
  }

  static SegmentGenerator.Dependencies segmentDependencies(Dependencies deps, SegmentMetrics metrics) {
    Settings.SegmentSettings settings = deps.settings().segments();
    var r = deps.settings().resources();
    return new SegmentGenerator.Dependencies(deps.members(), deps.segments(),
        new KinesisPublisher(deps.aws().kinesis(), r.segmentsStream(), KinesisPublisher.Options.from(settings.stream())),
        new ManifestStore(deps.aws().s3(), r.segmentsBucket()), settings, deps.clock(), metrics);
  }

  static Bookings.Dependencies bookingDependencies(Dependencies deps, ActorSystem<?> system) {
    Settings settings = deps.settings();
    Settings.BookingSettings b = settings.bookings();
    var r = settings.resources();
    AudienceExport export = AudienceExport.of(deps.aws().s3(), deps.members(), settings);
    SegmentBooking.AudienceWriter audiences = (bookingId, metadataKey) -> export.write(bookingId, metadataKey)
        .thenApply(a -> new Booking.Audience(a.key(), a.members(), a.checksum(), a.bytes()));
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    AudienceUploader.AudienceSource source = key -> deps.aws().s3().getObject(g -> g.bucket(r.audiencesBucket())
        .key(key), AsyncResponseTransformer.toBlockingInputStream()).join();
    Settings.UploadSettings u = b.upload();
    AudienceUploader uploader = new AudienceUploader(source, HttpEdmPlatform.orUnconfigured(b.edm()),
        new AudienceUploader.Settings(u.chunkSize(), u.maxAttempts(), u.minBackoff(), u.maxBackoff(),
            u.pollInterval(), u.maxPollInterval(), u.parallelJobs()), blocking);
    ManifestStore manifests = new ManifestStore(deps.aws().s3(), r.segmentsBucket());
    // one read and parse of manifest/latest.json per latest-manifest-ttl, however many bookings ask
    ReadCache<Boolean, Optional<Manifest>> latestManifest = new ReadCache<>(b.latestManifestTtl(), deps.clock(), 1);
    SegmentLookup lookup = segmentId -> latestManifest.get(Boolean.TRUE, manifests::latest).thenCompose(latest ->
        latest.isEmpty() ? CompletableFuture.completedFuture(Optional.<SegmentLookup.Bookable>empty())
        : deps.segments().get(latest.get().generationId(), segmentId).thenApply(row -> row.map(s ->
            new SegmentLookup.Bookable(s.segmentId(), s.generation(), s.metadataKey(), s.audience(), s.active()))));
    SegmentBooking.Dependencies entity = new SegmentBooking.Dependencies(lookup, audiences, uploader,
        new SnsBookingNotifier(deps.aws().sns(), deps.resources().notificationsTopicArn()),
        (booking, version) -> deps.bookings().write(BookingRows.of(booking, version)).thenApply(written -> null),
        new SegmentBooking.Policy(b.maxAttempts(), b.minBackoff(), b.maxBackoff(), b.deadlineCheck(),
            b.creator().zone()), b.askTimeout(), deps.clock(), new BookingMetrics(deps.metrics()));
    return new Bookings.Dependencies(entity, new CreatorSchedule(b.creator().times(), b.creator().zone()),
        deps.bookings(), b.wakeInterval(), b.wakeFailedWithin(), b.creator().retryBackoff(), b.rowPollInterval());
  }

  static Ingestion.Dependencies ingestionDependencies(Dependencies deps,
                                                      ActorRef<Topic.Command<IngestionDone>> doneTopic,
                                                      DoneNotifier done, Materializer materializer) {
    var settings = deps.settings().ingestion();
    ChunkProcessor processor = new ChunkProcessor(deps.aws().s3(), contractParser(settings, deps.clock()),
        deps.members(), deps.quarantine(), settings, materializer, deps.clock());
    FileListing prefix = FileListing.s3(deps.aws().s3(), settings.retry());
    FileListing redrive = FileListing.quarantined(deps.quarantine(), deps.aws().s3(), settings.retry());
    FileListing listing = (spec, startAfter, maxKeys) ->
        (spec.redriveOf() == null ? prefix : redrive).page(spec, startAfter, maxKeys);
    return new Ingestion.Dependencies(BucketCheck.s3(deps.aws().s3()), listing, processor::process, deps.runs(),
        done,
        StallNotifier.sns(deps.aws().sns(), deps.resources().notificationsTopicArn()), doneTopic, settings,
        deps.clock(), new IngestionMetrics(deps.metrics()));
  }

  /** The data contract's parser as the settings configure it, "now" from {@code clock}. */
  public static ContractParser contractParser(Settings.IngestionSettings settings, Clock clock) {
    return new ContractParser(new ContractLimits(settings.maxFileBytes(), clock, settings.maxClockSkew()));
  }

  private static void wakeUnfinished(Ingestion ingestion) {
    ingestion.unfinished().whenComplete((runIds, error) -> {
      if (error != null) {
        log.warn("could not read unfinished runs: {}", error.toString());
        return;
      }
      for (String runId : runIds) {
        log.debug("waking unfinished run {}", runId);
        ingestion.wake(runId);
      }
    });
  }
}
