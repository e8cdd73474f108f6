package audience.segments;

import audience.config.Settings;
import audience.kinesis.ShardLineage.ShardInfo;
import audience.kinesis.ShardReader;
import audience.store.SegmentStore;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The segments stream's consumers on a node: registers {@link SegmentShardConsumer} with sharding and runs the
 * discovery, once at start and every {@code audience.segments.consumer.discover-interval}: ListShards on the stream,
 * then {@link SegmentShardConsumer.Wake} to every listed shard's consumer with the parents it must wait for. Every
 * node discovers; sharding keeps one consumer per shard in the cluster. Rules: docs/segments.md "Consumers".
 */
public final class SegmentConsumers {
  private static final Logger log = LoggerFactory.getLogger(SegmentConsumers.class);

  /** What the consumers need from outside; passed in (no singletons). */
  public record Dependencies(S3AsyncClient s3, KinesisAsyncClient kinesis, SegmentStore store, Settings settings,
                             Clock clock, SegmentMetrics metrics) {}

  private final ActorSystem<?> system;
  private final String stream;
  private final KinesisAsyncClient kinesis;
  private final Settings.ConsumerSettings settings;
  private final Cancellable discovery;
  /** The shard ids of the last listing (logged when they change). */
  private final AtomicReference<List<String>> lastListed = new AtomicReference<>(List.of());

  private SegmentConsumers(ActorSystem<?> system, Dependencies deps) {
    this.system = system;
    this.stream = deps.settings().resources().segmentsStream();
    this.kinesis = deps.kinesis();
    this.settings = deps.settings().segments().consumer();
    this.discovery = system.scheduler().scheduleWithFixedDelay(Duration.ZERO, settings.discoverInterval(),
        this::discover, system.executionContext());
  }

  /** Registers the entity on this node and starts the periodic discovery; stops with the actor system. */
  public static SegmentConsumers init(ActorSystem<?> system, Dependencies deps) {
    SegmentShardConsumer.init(system, entityDependencies(system, deps));
    return new SegmentConsumers(system, deps);
  }

  /** The entity's dependencies in the service: the Kinesis reader, S3 and the read model, sharded peers. */
  static SegmentShardConsumer.Dependencies entityDependencies(ActorSystem<?> system, Dependencies deps) {
    Settings s = deps.settings();
    String stream = s.resources().segmentsStream();
    ShardReader reader = new ShardReader(deps.kinesis(), stream, ShardReader.Options.from(s.segments().stream()));
    MetadataSink sink = MetadataSink.s3(deps.s3(), s.resources().segmentsBucket(), deps.store(),
        s.segments().consumer().retry());
    ClusterSharding sharding = ClusterSharding.get(system);
    return new SegmentShardConsumer.Dependencies(reader::source, sink,
        shardId -> sharding.entityRefFor(SegmentShardConsumer.TYPE_KEY, SegmentShardConsumer.entityId(stream, shardId)),
        s.segments().consumer(), deps.clock(), deps.metrics());
  }

  /** The consumer of {@code shardId} on this node's stream: its checkpoint and whether it is finished. */
  public CompletionStage<SegmentShardConsumer.Status> status(String shardId) {
    return AskPattern.ask(consumer(shardId), SegmentShardConsumer.GetStatus::new, settings.askTimeout(),
        system.scheduler());
  }

  /** Stops the periodic discovery on this node (consumers keep running until the node stops). */
  public void stopDiscovery() {
    discovery.cancel();
  }

  private EntityRef<SegmentShardConsumer.Command> consumer(String shardId) {
    return ClusterSharding.get(system).entityRefFor(SegmentShardConsumer.TYPE_KEY,
        SegmentShardConsumer.entityId(stream, shardId));
  }

  /** One round: list the shards, wake every listed shard's consumer with its listed parents. */
  void discover() {
    listShards(null, new ArrayList<>()).whenComplete((shards, error) -> {
      if (error != null) {
        log.warn("stream {}: listing its shards failed, trying again in {}: {}", stream, settings.discoverInterval(),
            error.toString());
        return;
      }
      List<String> ids = shards.stream().map(ShardInfo::shardId).toList();
      if (!ids.equals(lastListed.getAndSet(ids))) log.info("stream {}: shards {}", stream, ids);
      for (ShardInfo shard : shards) {
        consumer(shard.shardId()).tell(new SegmentShardConsumer.Wake(parentsToWaitFor(shard, ids)));
      }
    });
  }

  /**
   * The parents {@code shard}'s consumer must see finished before it reads: those the listing still has. A parent no
   * longer listed (past the stream's retention) counts as finished (ShardLineage's rule).
   */
  static List<String> parentsToWaitFor(ShardInfo shard, List<String> listed) {
    Set<String> present = new HashSet<>(listed);
    return shard.parents().stream().filter(present::contains).toList();
  }

  private CompletableFuture<List<ShardInfo>> listShards(String nextToken, List<ShardInfo> into) {
    ListShardsRequest request = nextToken == null ? ListShardsRequest.builder().streamName(stream).build()
        : ListShardsRequest.builder().nextToken(nextToken).build();
    return kinesis.listShards(request).thenCompose(r -> {
      r.shards().forEach(s -> into.add(ShardInfo.of(s)));
      return r.nextToken() == null ? CompletableFuture.completedFuture(into) : listShards(r.nextToken(), into);
    });
  }
}
