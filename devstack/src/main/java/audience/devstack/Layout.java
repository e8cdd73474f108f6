package audience.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where one devstack keeps its files, and whether its data outlives it.
 *
 * @param home run folder: {@code logs/}, {@code endpoints.json}, {@code devstack.lock} and (persistent) {@code data/}
 * @param persistent keep S3, DynamoDB and Kinesis data under {@code home/data} across restarts
 * @param devstackDir the devstack/ folder holding package.json, the launchers and node_modules
 */
record Layout(Path home, boolean persistent, Path devstackDir) {
  /** The devstack JVM's own log, which the in-process emulators (S3Proxy, ElasticMQ) write to. */
  static final String DEVSTACK_LOG = "devstack";

  Path logs() {
    return home.resolve("logs");
  }

  Path logFile(String name) {
    return logs().resolve(name + ".log");
  }

  Path endpointsFile() {
    return home.resolve("endpoints.json");
  }

  /** {@code home/data/<name>}, created if missing. */
  Path dataDir(String name) throws IOException {
    return Files.createDirectories(home.resolve("data").resolve(name));
  }
}
