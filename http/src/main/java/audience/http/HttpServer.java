package audience.http;

import audience.config.Settings.HttpSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Binds the routes on {@code audience.http.interface:port} and unbinds them with the actor system. */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);

  private HttpServer() {}

  public static ServerBinding start(ActorSystem<?> system, HttpSettings settings, Route routes) {
    try {
      ServerBinding binding = Http.get(system).newServerAt(settings.iface(), settings.port()).bind(routes)
          .toCompletableFuture().get(BIND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
      log.info("HTTP on http://{}:{}/ops", binding.localAddress().getHostString(), binding.localAddress().getPort());
      return binding;
    } catch (Exception e) {
      throw new IllegalStateException("cannot bind HTTP on " + settings.iface() + ":" + settings.port() + ": " + e, e);
    }
  }
}
