package audience.local;

import audience.config.Settings;
import audience.devstack.DevStack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** How the command line finds its AWS: the devstack's endpoints.json for the local profile, nothing for aws. */
public final class Local {
  /** Where `./audience up` and `./audience devstack` keep the emulators' data, logs and endpoints. */
  public static final Path DEFAULT_DEVSTACK_HOME = Path.of("run", "devstack");

  /** Devstack heap per generated file: S3Proxy's in-memory store takes an 8 KB block and more per object. */
  private static final long DEVSTACK_BYTES_PER_FILE = 16 * 1024;
  private static final int DEVSTACK_BASE_HEAP_MB = 256;
  /** The setting the devstack's EDM sandbox fills in (its API key is the local profile's own). */
  static final String EDM_BASE_URL = "audience.bookings.edm.base-url";

  private Local() {}

  /** The devstack JVM's -Xmx for a data set: the default, or more when the in-memory S3 store needs it. */
  public static int devstackHeapMbFor(int files) {
    return (int) Math.max(DevStack.Options.DEFAULT_HEAP_MB,
        DEVSTACK_BASE_HEAP_MB + files * DEVSTACK_BYTES_PER_FILE / (1024 * 1024));
  }

  public static Settings settings(Path devstackHome, Map<String, ?> extra) {
    Map<String, Object> overrides = new HashMap<>(extra);
    Settings probe = Settings.load(overrides);
    if (probe.profile().equals(Settings.PROFILE_LOCAL)) {
      Path json = devstackHome.resolve("endpoints.json");
      if (!Files.exists(json)) {
        throw new IllegalStateException("no devstack at " + devstackHome.toAbsolutePath()
            + ": start it with ./audience devstack (or ./audience up), or use AUDIENCE_PROFILE=aws");
      }
      overrides.putAll(endpoints(DevStack.Endpoints.read(json)));
    }
    return Settings.load(overrides);
  }

  public static Settings settings(DevStack devstack, Map<String, ?> extra) {
    Map<String, Object> overrides = new HashMap<>(extra);
    overrides.putAll(endpoints(devstack.endpoints()));
    overrides.put("audience.profile", Settings.PROFILE_LOCAL);
    return Settings.load(overrides);
  }

  /** The settings overrides that point the service at a devstack: its AWS emulators and its EDM sandbox. */
  public static Map<String, Object> endpoints(DevStack.Endpoints e) {
    Map<String, Object> m = new HashMap<>(new Settings.Endpoints(str(e.s3()), str(e.dynamodb()), str(e.kinesis()),
        str(e.sns()), str(e.sqs())).overrides());
    if (e.edm() != null) {
      m.put(EDM_BASE_URL, e.edm().toString());
    }
    return m;
  }

  private static String str(Object o) {
    return o == null ? "" : o.toString();
  }
}
