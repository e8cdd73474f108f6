package audience.http;

import audience.config.Settings.HttpSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Binds the routes on {@code audience.http.interface:port} (port 0: any free port, reported in
 * {@code audience.http.port-file}) and unbinds them with the actor system.
 */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);

  private HttpServer() {}

  /** Written whole, then renamed: a reader never sees half a number. */
  public static void writePortFile(Path file, int port) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, Integer.toString(port));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  public static ServerBinding start(ActorSystem<?> system, HttpSettings settings, Route routes) {
    try {
      ServerBinding binding = Http.get(system).newServerAt(settings.iface(), settings.port()).bind(routes)
          .toCompletableFuture().get(BIND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
      int port = binding.localAddress().getPort();
      log.info("HTTP on http://{}:{}/ops", binding.localAddress().getHostString(), port);
      if (!settings.portFile().isEmpty()) writePortFile(Path.of(settings.portFile()), port);
      return binding;
    } catch (Exception e) {
      throw new IllegalStateException("cannot bind HTTP on " + settings.iface() + ":" + settings.port() + ": " + e, e);
    }
  }
}
