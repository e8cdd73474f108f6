package audience.ingestion;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

import java.util.function.Function;

/**
 * Where the ingestion entities send each other messages. In the service every address is a sharded entity, so an
 * answer reaches a run even after it moved to another node; the entity tests put probes there instead.
 */
public record IngestionPeers(Function<String, RecipientRef<IngestionRun.Command>> run,
                             Function<String, RecipientRef<FileWorker.Command>> worker,
                             Function<String, RecipientRef<CompletionTracker.Command>> tracker) {

  /** The sharded entities of {@code system}. */
  public static IngestionPeers sharded(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return new IngestionPeers(id -> sharding.entityRefFor(IngestionRun.TYPE_KEY, id),
        id -> sharding.entityRefFor(FileWorker.TYPE_KEY, id),
        id -> sharding.entityRefFor(CompletionTracker.TYPE_KEY, id));
  }
}
