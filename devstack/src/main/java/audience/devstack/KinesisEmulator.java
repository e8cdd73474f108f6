package audience.devstack;

import audience.devstack.DevStack.Service;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kinesis: kinesis-local (kinesis-mock compiled to JavaScript). It also listens for TLS, on a second port.
 * Persistent: data under {@code home/data/kinesis}, saved every 5 s and on a graceful stop.
 */
final class KinesisEmulator extends NodeEmulator {
  /**
   * kinesis-local saves its data on a graceful stop, which waits up to 30 s for open client connections to close
   * (it also saves every 5 s); when persistent, give it that long before killing it.
   */
  static final Duration PERSISTENT_STOP_GRACE = Duration.ofSeconds(35);
  /** Open shards allowed over all streams: raised so that the many streams tests create fit. */
  private static final int SHARD_LIMIT = 100;

  KinesisEmulator(Layout layout) {
    super(Service.KINESIS, layout);
  }

  @Override
  protected Command command(int port) throws IOException {
    Path pkg = layout.devstackDir().resolve("node_modules/kinesis-local");
    Map<String, String> env = new LinkedHashMap<>();
    env.put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(port));
    // A fresh TLS port every start: the previous one stays bound for seconds after SIGTERM. When it is taken,
    // kinesis-local exits with EADDRINUSE like for its main port, and starts again on fresh ports.
    env.put("KINESIS_MOCK_TLS_PORT", Integer.toString(Ports.pick()));
    env.put("SHARD_LIMIT", Integer.toString(SHARD_LIMIT));
    env.put("LOG_LEVEL", "WARN");
    env.put("CREATE_STREAM_DURATION", "0ms");
    env.put("DELETE_STREAM_DURATION", "0ms");
    env.put("AWS_REGION", DevStack.REGION);
    env.put("AWS_ACCOUNT_ID", DevStack.ACCOUNT_ID);
    if (layout.persistent()) {
      env.put("SHOULD_PERSIST_DATA", "true");
      env.put("PERSIST_PATH", layout.dataDir(name()).toString());
    }
    return new Command(List.of(pkg.resolve("main.js").toString()), pkg, env);
  }

  @Override
  protected Duration stopGrace() {
    return layout.persistent() ? PERSISTENT_STOP_GRACE : STOP_GRACE;
  }

  @Override
  ReadinessProbe readiness() {
    return ReadinessProbe.awsJson(name(), port(), "Kinesis_20131202.ListStreams", "1.1", NODE_READY_TIMEOUT);
  }
}
