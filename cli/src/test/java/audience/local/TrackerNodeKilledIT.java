package audience.local;

import audience.config.Settings;
import audience.devstack.DevStack;
import audience.devstack.Ports;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.ingestion.CompletionTracker;
import audience.ingestion.Ingestion;
import audience.ingestion.IngestionDone;
import audience.ingestion.RunSpec;
import audience.service.AudienceNode;
import audience.store.RunAudit;
import audience.testkit.TestNodes;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A two-node cluster: this JVM's node and a service process. The run's {@link CompletionTracker} lives on the
 * service process, which is SIGKILLed mid-run (no leave, no handover). The split brain resolver downs it, sharding
 * moves its shards here, the tracker recovers from its journal, and the run completes with the generator's ground
 * truth, nothing lost or doubled.
 */
class TrackerNodeKilledIT {
  private static final int FILES = 3_000;
  private static final int BAD_FILES = 30;
  private static final String PREFIX = "tracker-kill/";
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final int CANDIDATE_RUNS = 40;

  private static Map<String, String> cluster(int port, int seedPort) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("audience.cluster", "true");
    m.put("pekko.remote.artery.canonical.hostname", "127.0.0.1");
    m.put("pekko.remote.artery.canonical.port", String.valueOf(port));
    m.put("pekko.cluster.seed-nodes.0", "pekko://audience@127.0.0.1:" + seedPort);
    // Down an unreachable node soon: keep-majority keeps the side with the lowest address, this JVM's node.
    m.put("pekko.cluster.split-brain-resolver.stable-after", "3s");
    m.put("audience.ingestion.chunk-size", "25");
    m.put("audience.ingestion.max-chunks-in-flight", "4");
    m.put("audience.ingestion.chunk-timeout", "5s");
    m.put("audience.ingestion.resend-interval", "1s");
    m.put("audience.ingestion.wake-interval", "2s");
    return m;
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void theTrackersNodeKilledHardMidRunLosesNothing() throws Exception {
    DevStack devstack = DevStack.shared();
    String namespace = TestNodes.newNamespace() + "-tk";
    Path home = Path.of("target", namespace).toAbsolutePath();
    devstack.endpoints().write(home.resolve("endpoints.json"));
    int a = Ports.pick();
    int b = Ports.pick();
    int survivorPort = Math.min(a, b);
    int victimPort = Math.max(a, b);

    Map<String, String> survivorProps = new LinkedHashMap<>(TestNodes.resourceProperties(namespace));
    survivorProps.putAll(cluster(survivorPort, survivorPort));
    survivorProps.remove("pekko.cluster.seed-nodes.0");
    Map<String, Object> survivorSettings = new LinkedHashMap<>(survivorProps);
    survivorSettings.put("pekko.cluster.seed-nodes", java.util.List.of("pekko://audience@127.0.0.1:" + survivorPort));
    Settings settings = TestNodes.settings(devstack, namespace, survivorSettings);

    Map<String, String> victimProps = new LinkedHashMap<>(TestNodes.resourceProperties(namespace));
    victimProps.putAll(cluster(victimPort, survivorPort));
    victimProps.put("logback.configurationFile",
        Path.of(TrackerNodeKilledIT.class.getResource("/logback-service-process.xml").toURI()).toString());

    try (AudienceNode survivor = AudienceNode.start(settings)) {
      String bucket = settings.resources().rawBucket();
      GeneratorSpec spec = new GeneratorSpec(FILES, BAD_FILES, 77L, bucket, PREFIX, 0.1);
      GroundTruth truth = new DatasetWriter().write(survivor.aws().s3(), new DatasetGenerator(spec), 16, n -> {})
          .join();
      Path log = home.resolve("victim.log");
      ServiceProcess victim = ServiceProcess.start(home, victimProps, "512m", log);
      try {
        TestProbe<Object> waiter = TestProbe.create(survivor.system());
        waiter.awaitAssert(TIMEOUT, () -> {
          assertThat(Cluster.get(survivor.system()).state().getMembers()).hasSize(2)
              .allMatch(m -> m.status() == MemberStatus.up());
          return null;
        });
        String runId = runWhoseTrackerIsOnTheOtherNode(survivor);
        TestProbe<IngestionDone> done = TestProbe.create(survivor.system());
        survivor.wiring().doneTopic().tell(Topic.subscribe(done.getRef()));
        Ingestion ingestion = survivor.wiring().ingestion();
        ingestion.start(new RunSpec(runId, bucket, PREFIX, FILES, "test")).toCompletableFuture().join();
        waiter.awaitAssert(TIMEOUT, () -> {
          assertThat(ingestion.require(runId).toCompletableFuture().join().settled()).isGreaterThan(FILES / 3);
          return null;
        });
        assertThat(localTrackers(survivor)).as("the tracker is still on the other node").doesNotContain(runId);
        victim.kill();
        System.out.printf("tracker-kill test: killed pid %d holding the tracker of %s%n", victim.pid(), runId);

        IngestionDone result = done.fishForMessage(TIMEOUT, m -> m.runId().equals(runId)
            ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0);
        assertThat(result.listed()).isEqualTo(FILES);
        assertThat(result.ingested()).isEqualTo(truth.expectedValidFiles());
        assertThat(result.quarantined()).isEqualTo(truth.expectedQuarantined());
        assertThat(localTrackers(survivor)).as("the tracker moved here").contains(runId);
        var deps = survivor.dependencies();
        RunAudit.Result audit = RunAudit.audit(survivor.aws().s3(), survivor.aws().dynamo(), deps.members(),
            deps.quarantine(), bucket, PREFIX, runId);
        assertThat(audit.lost()).as("lost, e.g. %s", audit.lostSample()).isZero();
        assertThat(audit.doubled()).isZero();
        assertThat(audit.ingested()).isEqualTo(truth.expectedValidFiles());
        done.expectNoMessage(Duration.ofSeconds(2)); // exactly one done event here
        assertThat(Files.readString(log)).as("the victim never completed the run")
            .doesNotContain("run " + runId + " completed");
      } finally {
        victim.kill();
      }
    }
  }

  /** A run id whose tracker entity sharding places on the other node (asking a tracker allocates its shard). */
  private static String runWhoseTrackerIsOnTheOtherNode(AudienceNode node) {
    ClusterSharding sharding = ClusterSharding.get(node.system());
    TestProbe<CompletionTracker.Tally> tallies = TestProbe.create(node.system());
    Optional<String> remote = IntStream.range(0, CANDIDATE_RUNS).mapToObj(i -> "tracker-kill-" + i)
        .filter(id -> {
          sharding.entityRefFor(CompletionTracker.TYPE_KEY, id).tell(new CompletionTracker.GetTally(tallies.getRef()));
          tallies.receiveMessage(TIMEOUT);
          return !localTrackers(node).contains(id);
        }).findFirst();
    return remote.orElseThrow(() -> new AssertionError("no tracker of " + CANDIDATE_RUNS + " runs on the other node"));
  }

  private static java.util.Set<String> localTrackers(AudienceNode node) {
    TestProbe<ShardRegion.CurrentShardRegionState> state = TestProbe.create(node.system());
    ClusterSharding.get(node.system()).shardState().tell(new GetShardRegionState(CompletionTracker.TYPE_KEY,
        state.getRef()));
    java.util.Set<String> ids = new java.util.HashSet<>();
    state.receiveMessage(TIMEOUT).getShards().forEach(s -> ids.addAll(s.getEntityIds()));
    return ids;
  }
}
