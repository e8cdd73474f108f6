package audience.service;

import audience.config.Settings.ManagementSettings;
import audience.http.HttpServer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Starts Pekko Management on its own port ({@code pekko.management.http}): {@code /cluster/members},
 * {@code /cluster/shards/{type}} (read-only), {@code /ready} (the node's {@link Readiness} checks and cluster
 * membership) and {@code /alive}. It stops with the actor system.
 */
public final class Management {
  private static final Logger log = LoggerFactory.getLogger(Management.class);
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);

  private Management() {}

  /** The management base URL, or empty when {@code audience.management.enabled} is off. */
  public static Optional<Uri> start(ActorSystem<?> system, ManagementSettings settings) {
    if (!settings.enabled()) return Optional.empty();
    try {
      Uri uri = PekkoManagement.get(system).start().toCompletableFuture()
          .get(BIND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      log.info("management on {} (/ready, /alive, /cluster/members)", uri);
      if (!settings.portFile().isEmpty()) HttpServer.writePortFile(Path.of(settings.portFile()), uri.port());
      return Optional.of(uri);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start Pekko Management ("
          + system.settings().config().getString("pekko.management.http.hostname") + ":"
          + system.settings().config().getInt("pekko.management.http.port") + "): " + e, e);
    }
  }
}
