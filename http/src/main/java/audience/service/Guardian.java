package audience.service;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.contract.ContractParser;
import audience.ingestion.ChunkProcessor;
import audience.ingestion.CompletionTracker;
import audience.ingestion.DoneNotifier;
import audience.ingestion.FileWorker;
import audience.ingestion.Ingestion;
import audience.ingestion.IngestionDone;
import audience.ingestion.IngestionSupervisor;
import audience.ingestion.TriggerListener;
import audience.store.MemberStore;
import audience.store.QuarantineStore;
import audience.store.RunStore;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.stream.Materializer;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The root actor: joins the cluster (itself, unless the cluster overlay is on), starts the sharded entities
 * (IngestionRun, CompletionTracker, FileWorker), the done-event topic and the trigger listener, and wakes the
 * runs a previous process left unfinished.
 */
public final class Guardian {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Guardian.class);
  /** What the node hands to the HTTP layer once the guardian is up. */
  public record Wiring(Ingestion ingestion, ActorRef<Topic.Command<IngestionDone>> doneTopic) {}

  /** Everything built outside the actor system. */
  public record Dependencies(Settings settings, AwsClients aws, Bootstrap.Resolved resources, MemberStore members,
                             QuarantineStore quarantine, RunStore runs, Clock clock) {}

  private Guardian() {}

  private static void wakeUnfinished(Dependencies deps, ClusterSharding sharding) {
    deps.runs().unfinished().whenComplete((rows, error) -> {
      if (error != null) {
        log.warn("could not read unfinished runs: {}", error.toString());
        return;
      }
      for (var row : rows) {
        log.debug("waking unfinished run {} ({})", row.control().runId(), row.control().control());
        sharding.entityRefFor(IngestionSupervisor.TYPE_KEY, row.control().runId()).tell(new IngestionSupervisor.Wake());
      }
    });
  }

  public static Behavior<Void> create(Dependencies deps, CompletableFuture<Wiring> ready) {
    return Behaviors.<Void>setup(ctx -> {
      Settings settings = deps.settings();
      var ingestion = settings.ingestion();
      if (!settings.cluster()) {
        Cluster cluster = Cluster.get(ctx.getSystem());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      ActorRef<Topic.Command<IngestionDone>> topic =
          ctx.spawn(Topic.create(IngestionDone.class, IngestionDone.TOPIC), "ingestion-done");

      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      ChunkProcessor processor = new ChunkProcessor(deps.aws().s3(), new ContractParser(ingestion.maxFileBytes()),
          deps.members(), deps.quarantine(), ingestion, Materializer.createMaterializer(ctx.getSystem()), deps.clock());
      sharding.init(Entity.of(FileWorker.TYPE_KEY, e -> FileWorker.create(e.getEntityId(), processor::process)));
      CompletionTracker.Dependencies trackerDeps = new CompletionTracker.Dependencies(deps.runs(),
          DoneNotifier.sns(deps.aws().sns(), deps.resources().notificationsTopicArn()), topic, deps.clock(),
          ingestion.readModelInterval(), ingestion.snapshotEvery());
      sharding.init(Entity.of(CompletionTracker.TYPE_KEY, e -> CompletionTracker.create(e.getEntityId(), trackerDeps)));
      IngestionSupervisor.Dependencies supervisorDeps = new IngestionSupervisor.Dependencies(sharding,
          deps.aws().s3(), deps.runs(), ingestion, deps.clock(), ingestion.readModelInterval());
      sharding.init(Entity.of(IngestionSupervisor.TYPE_KEY,
          e -> IngestionSupervisor.create(e.getEntityId(), supervisorDeps)));

      Ingestion runs = new Ingestion(ctx.getSystem(), deps.aws().s3(), deps.runs(), ingestion.askTimeout(), deps.clock());
      if (settings.trigger().enabled()) {
        ctx.spawn(TriggerListener.create(deps.aws().sqs(), deps.resources().triggerQueueUrl(), settings.trigger(), runs),
            "trigger-listener");
      }
      // Wake unfinished runs now (left by a previous process) and then periodically: a run whose entity moved
      // to another node, or stopped with nothing in flight, resumes from its persisted offset.
      ctx.getSystem().scheduler().scheduleAtFixedRate(Duration.ZERO, ingestion.wakeInterval(),
          () -> wakeUnfinished(deps, sharding), ctx.getExecutionContext());
      ready.complete(new Wiring(runs, topic));
      return Behaviors.empty();
    });
  }
}
