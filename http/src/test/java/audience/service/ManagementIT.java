package audience.service;

import audience.devstack.DevStack;
import audience.ingestion.IngestionRun;
import audience.testkit.Http;
import audience.testkit.Poll;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pekko Management of a service on the devstack, on a port of its own: liveness, readiness with every dependency
 * reachable, the cluster's members and a sharded type's shards, then readiness refused, naming the dependency, once
 * the node's segments stream is gone (run last: it breaks the node).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ManagementIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private Service service;
  private Http management;
  private Path portFile;

  @BeforeAll
  void start() throws Exception {
    portFile = Files.createTempFile("management", ".port");
    service = Service.start(TestNodes.settings(DevStack.shared(), Map.of("audience.http.port", 0,
        "audience.management.port-file", portFile.toString())));
    assertThat(service.management()).isPresent();
    management = new Http(service.management().get().toString());
  }

  @AfterAll
  void stop() throws Exception {
    if (service != null) service.close();
    Files.deleteIfExists(portFile);
  }

  @Test
  @Order(1)
  void theBoundPortIsWrittenToThePortFileAndIsNotTheApiPort() throws Exception {
    int port = Integer.parseInt(Files.readString(portFile).trim());
    assertThat(port).isEqualTo(service.management().get().port())
        .isNotEqualTo(service.binding().localAddress().getPort());
  }

  @Test
  @Order(2)
  void aliveAndReadyWithEveryDependencyReachable() {
    assertThat(management.get("/alive").status()).isEqualTo(200);
    Http.Reply ready = Poll.until("the node ready", TIMEOUT, Duration.ofMillis(200), () -> management.get("/ready"),
        r -> r.status() == 200);
    assertThat(ready.status()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void clusterMembersAndShardsOfASharedType() {
    Http.Reply members = management.get("/cluster/members");
    assertThat(members.status()).as("%s", members).isEqualTo(200);
    assertThat(members.body().path("members")).hasSize(1);
    assertThat(members.body().path("members").get(0).path("status").asText()).isEqualTo("Up");
    assertThat(members.body().path("selfNode").asText()).isEqualTo(members.body().path("leader").asText());

    Http.Reply shards = management.get("/cluster/shards/" + IngestionRun.TYPE_KEY.name());
    assertThat(shards.status()).as("%s", shards).isEqualTo(200);
    assertThat(shards.body().has("regions")).as("%s", shards).isTrue();
  }

  @Test
  @Order(4)
  void readOnlyNoRouteChangesTheCluster() {
    Http.Reply leave = management.delete("/cluster/members/" + service.node().system().address());
    assertThat(leave.status()).as("%s", leave).isIn(404, 405);
    assertThat(management.get("/cluster/members").body().path("members").get(0).path("status").asText())
        .isEqualTo("Up");
  }

  @Test
  @Order(5)
  void notReadyNamingTheDependencyWhenTheSegmentsStreamIsGone() {
    String stream = service.node().settings().resources().segmentsStream();
    service.node().aws().kinesis().deleteStream(b -> b.streamName(stream).enforceConsumerDeletion(true)).join();
    Http.Reply ready = Poll.until("readiness refused", TIMEOUT, Duration.ofMillis(200),
        () -> management.get("/ready"), r -> r.status() != 200);
    assertThat(ready.status()).isEqualTo(500);
    assertThat(ready.raw()).contains("kinesis (" + stream + ") is not reachable");
    assertThat(management.get("/alive").status()).isEqualTo(200);
  }
}
