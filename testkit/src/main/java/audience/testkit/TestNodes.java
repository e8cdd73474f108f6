package audience.testkit;

import audience.config.Settings;
import audience.devstack.DevStack;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Settings for a node against the shared devstack, with its own tables, topics and queue so tests stay apart.
 * Plus
 * {@link #resourceProperties} for nodes started as child processes.
 */
public final class TestNodes {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final String[] RESOURCES = {"members-table", "member-files-table", "suppression-table",
      "quarantine-table", "runs-table", "journal-table",
      "snapshot-table", "trigger-topic", "trigger-queue", "notifications-topic", "raw-bucket", "segments-bucket", "segments-stream", "segments-table",
      "audiences-bucket", "bookings-table"};
  /**
   * Shards of a test node's own segments stream: kinesis-local allows 100 open shards over all its streams, and
   * every node of a test JVM shares one emulator.
   */
  private static final int TEST_STREAM_SHARDS = 1;

  private TestNodes() {}

  /** A namespace of its own for every call in this JVM. */
  public static String newNamespace() {
    return "t" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
  }

  public static Settings settings(DevStack devstack, Map<String, ?> extra) {
    return settings(devstack, newNamespace(), extra);
  }

  /** Same {@code namespace}, same resources: how a restarted node finds its predecessor's journal. */
  public static Settings settings(DevStack devstack, String namespace, Map<String, ?> extra) {
    DevStack.Endpoints e = devstack.endpoints();
    Map<String, Object> m = new HashMap<>(new Settings.Endpoints(e.s3().toString(), e.dynamodb().toString(),
        e.kinesis() == null ? "" : e.kinesis().toString(), e.sns().toString(), e.sqs().toString()).overrides());
    m.put("audience.profile", "local");
    if (e.edm() != null) {
      m.put("audience.bookings.edm.base-url", e.edm().toString());
    }
    m.putAll(resourceProperties(namespace));
    m.put("audience.trigger.wait-time", "1s");
    m.put("pekko.management.http.port", 0); // any free port: tests start several nodes at once
    m.put("audience.segments.stream.shards", TEST_STREAM_SHARDS);
    m.putAll(extra);
    return Settings.load(m);
  }

  /** The {@code audience.resources.*} names of a namespace, e.g. {@code <namespace>-members}. */
  public static Map<String, String> resourceProperties(String namespace) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String r : RESOURCES) m.put("audience.resources." + r, namespace + "-" + r.replace("-table", ""));
    return m;
  }
}
