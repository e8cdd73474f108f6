package audience.ingestion;

import audience.config.Settings;
import audience.devstack.DevStack;
import audience.devstack.Ports;
import audience.generator.DatasetGenerator;
import audience.generator.DatasetWriter;
import audience.generator.GeneratorSpec;
import audience.generator.GroundTruth;
import audience.service.AudienceNode;
import audience.store.RunAudit;
import audience.testkit.TestNodes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes share the run's entities (sharding spreads run entity, tracker and workers over both); one node
 * leaves mid-run and the other finishes the run with nothing lost.
 */
class ClusterIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  private AudienceNode first;
  private AudienceNode second;

  @AfterEach
  void stop() {
    if (second != null) second.close();
    if (first != null) first.close();
  }

  private static Settings node(String namespace, int port, int seedPort) {
    return TestNodes.settings(DevStack.shared(), namespace, Map.of(
        "audience.cluster", true,
        "pekko.remote.artery.canonical.hostname", "127.0.0.1",
        "pekko.remote.artery.canonical.port", port,
        "pekko.cluster.seed-nodes", List.of("pekko://audience@127.0.0.1:" + seedPort),
        "audience.ingestion.chunk-size", 25,
        "audience.ingestion.max-chunks-in-flight", 4,
        "audience.ingestion.chunk-timeout", "5s",
        "audience.ingestion.wake-interval", "2s"));
  }

  @Test
  void aNodeLeavingMidRunLosesNothing() throws Exception {
    String namespace = "cluster" + ProcessHandle.current().pid();
    // Remoting ports from outside the ephemeral range: a port 0 hands out may be taken by a client before it binds.
    int p1 = Ports.pick();
    int p2 = Ports.pick();
    first = AudienceNode.start(node(namespace, p1, p1));
    second = AudienceNode.start(node(namespace, p2, p1));
    TestProbe<Object> waiter = TestProbe.create(first.system());
    waiter.awaitAssert(TIMEOUT, () -> {
      assertThat(Cluster.get(first.system()).state().getMembers()).hasSize(2)
          .allMatch(m -> m.status() == MemberStatus.up());
      return null;
    });

    String bucket = first.settings().resources().rawBucket();
    GeneratorSpec spec = new GeneratorSpec(2_000, 20, 11L, bucket, "cluster/", 0.0);
    GroundTruth truth = new DatasetWriter().write(first.aws().s3(), new DatasetGenerator(spec), 32, n -> {}).join();
    TestProbe<IngestionDone> done = TestProbe.create(first.system());
    first.wiring().doneTopic().tell(Topic.subscribe(done.getRef()));

    Ingestion ingestion = first.wiring().ingestion();
    ingestion.start(new RunSpec("cluster-run", bucket, "cluster/", spec.files(), "test")).toCompletableFuture().join();
    waiter.awaitAssert(TIMEOUT, () -> {
      assertThat(ingestion.require("cluster-run").toCompletableFuture().join().settled()).isGreaterThan(200);
      return null;
    });
    second.close(); // leaves the cluster: its shards, with whatever run entities and workers they held, move over
    second = null;

    IngestionDone result = done.fishForMessage(TIMEOUT, m -> m.runId().equals("cluster-run")
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
    assertThat(result.listed()).isEqualTo(spec.files());
    assertThat(result.ingested()).isEqualTo(truth.expectedValidFiles());
    assertThat(result.quarantined()).isEqualTo(truth.expectedQuarantined());
    var deps = first.dependencies();
    RunAudit.Result audit = RunAudit.audit(first.aws().s3(), first.aws().dynamo(), deps.members(), deps.quarantine(),
        bucket, "cluster/", "cluster-run");
    assertThat(audit.lost()).isZero();
    assertThat(audit.doubled()).isZero();
  }
}
