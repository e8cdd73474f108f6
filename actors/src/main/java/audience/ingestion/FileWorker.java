package audience.ingestion;

import audience.CborSerializable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * One worker of the sharded pool ({@code audience.ingestion.workers} of them, spread over the cluster).
 * It settles the chunks it is sent, several at a time (the run entity bounds how many are in flight), and
 * answers each with {@link IngestionRun.ChunkSettled} or {@link IngestionRun.ChunkFailed}.
 * It keeps no state: a worker that dies mid-chunk loses nothing, the run entity sends the chunk again.
 */
public final class FileWorker {
  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "FileWorker");

  /** Registers the pool with sharding on this node; every worker settles chunks with {@code handler}. */
  public static void init(ActorSystem<?> system, IngestionPeers peers, ChunkHandler handler) {
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY, e -> create(e.getEntityId(), peers, handler)));
  }

  /** How a chunk is settled: {@link ChunkProcessor} in the service, something simpler in protocol tests. */
  @FunctionalInterface
  public interface ChunkHandler {
    CompletionStage<ChunkProcessor.Outcome> process(ProcessChunk chunk);
  }

  public sealed interface Command extends CborSerializable permits ProcessChunk, Finished {}

  /** Settle these files of run {@code runId}; {@code attempt} counts dispatches of the same chunk. */
  public record ProcessChunk(String runId, String bucket, long chunkIndex, long incarnation, int attempt,
                             List<FileRef> files)
      implements Command {}

  record Finished(ProcessChunk chunk, ChunkProcessor.Outcome outcome, Throwable error) implements Command {}

  private FileWorker() {}

  public static Behavior<Command> create(String workerId, IngestionPeers peers, ChunkHandler handler) {
    return Behaviors.setup(ctx -> {
      // Answers go through the peers (sharding), not to a sender's ref: a run that moved to another node gets them.
      return Behaviors.receive(Command.class)
        .onMessage(ProcessChunk.class, chunk -> {
          ctx.getLog().debug("worker {} settling chunk {} of run {} ({} files, attempt {})",
              workerId, chunk.chunkIndex(), chunk.runId(), chunk.files().size(), chunk.attempt());
          ctx.pipeToSelf(handler.process(chunk),
              (outcome, error) -> new Finished(chunk, outcome, error));
          return Behaviors.same();
        })
        .onMessage(Finished.class, done -> {
          ProcessChunk c = done.chunk();
          var run = peers.run().apply(c.runId());
          if (done.error() == null) {
            run.tell(new IngestionRun.ChunkSettled(c.chunkIndex(), c.incarnation(), c.attempt(),
                done.outcome().ingested(), done.outcome().quarantined(), Instant.now(),
                done.outcome().newestLastActive()));
          } else {
            ctx.getLog().warn("worker {} failed chunk {} of run {} (attempt {}): {}",
                workerId, c.chunkIndex(), c.runId(), c.attempt(), String.valueOf(done.error()));
            run.tell(new IngestionRun.ChunkFailed(c.chunkIndex(), c.incarnation(), c.attempt(),
                String.valueOf(done.error())));
          }
          return Behaviors.same();
        })
        .build();
    });
  }
}
