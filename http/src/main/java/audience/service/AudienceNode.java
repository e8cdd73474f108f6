package audience.service;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.store.BatchWriter;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.store.RunStore;
import audience.store.BookingStore;
import audience.store.SegmentStore;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.management.javadsl.ReadinessCheckSetup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One service node: AWS clients, bootstrap of its resources, the actor system and its wiring. */
public final class AudienceNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AudienceNode.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

  private final Settings settings;
  private final NodeMetrics metrics;
  private final AwsClients aws;
  private final Guardian.Dependencies deps;
  private final ActorSystem<Void> system;
  private final Guardian.Wiring wiring;

  private AudienceNode(Settings settings, NodeMetrics metrics, AwsClients aws, Guardian.Dependencies deps,
                       ActorSystem<Void> system, Guardian.Wiring wiring) {
    this.settings = settings;
    this.metrics = metrics;
    this.aws = aws;
    this.deps = deps;
    this.system = system;
    this.wiring = wiring;
  }

  public static AudienceNode start(Settings settings) {
    AwsClients aws = AwsClients.create(settings.aws());
    NodeMetrics metrics = new NodeMetrics();
    try {
      Bootstrap.Resolved resources = new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
      BatchWriter writer = new BatchWriter(aws.dynamo(), settings.ingestion().retry());
      var r = settings.resources();
      Guardian.Dependencies deps = new Guardian.Dependencies(settings, aws, resources,
          MemberStore.of(aws.dynamo(), settings, Clock.systemUTC()),
          new QuarantineStore(aws.dynamo(), r.quarantineTable(), writer, settings.ingestion().quarantineRetention()),
          new RunStore(aws.dynamo(), r.runsTable()),
          new SegmentStore(aws.dynamo(), r.segmentsTable(), settings.segments().stream().retry()),
          new BookingStore(aws.dynamo(), r.bookingsTable(), settings.ingestion().retry()), Clock.systemUTC(),
          metrics.registry());
      CompletableFuture<Guardian.Wiring> ready = new CompletableFuture<>();
      // Readiness (Pekko Management's GET /ready) probes the node's own clients: given to the system as a setup.
      ActorSystemSetup setup = ActorSystemSetup.create(BootstrapSetup.create(settings.config()),
          ReadinessCheckSetup.create(classic -> Readiness.checks(Readiness.probes(aws, r),
              settings.management().probeTimeout())));
      ActorSystem<Void> system = ActorSystem.create(Guardian.create(deps, ready), "audience", setup);
      Guardian.Wiring wiring = ready.get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      log.info("node up: profile {}, cluster address {}", settings.profile(), system.address());
      return new AudienceNode(settings, metrics, aws, deps, system, wiring);
    } catch (Exception e) {
      aws.close();
      metrics.close();
      throw new IllegalStateException("node failed to start: " + e.getMessage(), e);
    }
  }

  public Settings settings() { return settings; }

  public AwsClients aws() { return aws; }

  /** The node's meters (Prometheus registry with the JVM's and the features' meters). */
  public NodeMetrics metrics() { return metrics; }

  public Guardian.Dependencies dependencies() { return deps; }

  public ActorSystem<Void> system() { return system; }

  public Guardian.Wiring wiring() { return wiring; }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(SHUTDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("actor system did not terminate within {}: {}", SHUTDOWN_TIMEOUT, e.toString());
    }
    aws.close();
    metrics.close();
  }
}
