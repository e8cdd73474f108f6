package audience.devstack;

import audience.devstack.DevStack.Service;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.Await;

/** SQS: ElasticMQ in the devstack JVM, on its own ActorSystem. Queues live in memory. */
final class SqsEmulator extends Emulator {
  private static final Logger log = LoggerFactory.getLogger(SqsEmulator.class);
  private static final long TERMINATE_SECONDS = 10;
  /** A plain config: never the application.conf on the classpath (which may build a cluster). */
  private static final String CONFIG = """
      pekko {
        loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
        logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
        loglevel = "INFO"
        logger-startup-timeout = 30s
        log-dead-letters = off
        log-dead-letters-during-shutdown = off
        actor.provider = local
        coordinated-shutdown.run-by-jvm-shutdown-hook = off
        http.server {
          parsing.illegal-header-warnings = off
          parsing.max-uri-length = 256k
          request-timeout = 21 s
        }
      }
      """;

  private ActorSystem system;
  private SQSRestServer server;

  SqsEmulator(Layout layout) {
    super(Service.SQS, layout);
  }

  @Override
  protected synchronized void launch(int port) {
    Config config = ConfigFactory.parseString(CONFIG).withFallback(ConfigFactory.defaultReference()).resolve();
    system = ActorSystem.create("devstack-sqs", config, SqsEmulator.class.getClassLoader());
    server = SQSRestServerBuilder.withActorSystem(system)
        .withPort(port)
        .withInterface(Support.LOOPBACK)
        .withServerAddress(new NodeAddress("http", Support.LOOPBACK, port, ""))
        .withAWSRegion(DevStack.REGION)
        .withAWSAccountId(DevStack.ACCOUNT_ID)
        .start();
    try {
      server.waitUntilStarted();
    } catch (RuntimeException e) {
      server = null; // it never listened: nothing to stop but the actor system
      throw e;
    }
  }

  @Override
  ReadinessProbe readiness() {
    return ReadinessProbe.awsJson(name(), port(), "AmazonSQS.ListQueues", "1.0", IN_PROCESS_READY_TIMEOUT);
  }

  @Override
  synchronized void stop() {
    if (server != null) {
      try {
        server.stopAndWait();
      } catch (Exception e) {
        log.warn("stopping ElasticMQ (port {}) failed", port(), e);
      }
      server = null;
    }
    if (system != null) {
      try {
        Await.result(system.terminate(), scala.concurrent.duration.Duration.create(TERMINATE_SECONDS, TimeUnit.SECONDS));
      } catch (Exception e) {
        log.warn("stopping the ElasticMQ actor system failed", e);
      }
      system = null;
    }
  }
}
