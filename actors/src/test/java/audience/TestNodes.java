package audience;

import audience.config.Settings;
import audience.devstack.DevStack;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Settings for a node against the shared devstack, with its own tables, topics and queue so tests stay apart. */
public final class TestNodes {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private TestNodes() {}

  public static Settings settings(DevStack devstack, Map<String, ?> extra) {
    return settings(devstack, "t" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet(), extra);
  }

  /** Same {@code namespace}, same resources: how a restarted node finds its predecessor's journal. */
  public static Settings settings(DevStack devstack, String namespace, Map<String, ?> extra) {
    DevStack.Endpoints e = devstack.endpoints();
    Map<String, Object> m = new HashMap<>(new Settings.Endpoints(e.s3().toString(), e.dynamodb().toString(),
        e.kinesis() == null ? "" : e.kinesis().toString(), e.sns().toString(), e.sqs().toString()).overrides());
    m.put("audience.profile", "local");
    for (String r : new String[] {"members-table", "quarantine-table", "runs-table", "journal-table", "snapshot-table",
        "trigger-topic", "trigger-queue", "notifications-topic", "raw-bucket"}) {
      m.put("audience.resources." + r, namespace + "-" + r.replace("-table", ""));
    }
    m.put("audience.trigger.wait-time", "1s");
    m.putAll(extra);
    return Settings.load(m);
  }
}
