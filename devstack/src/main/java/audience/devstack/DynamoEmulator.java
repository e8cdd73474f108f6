package audience.devstack;

import audience.devstack.DevStack.Service;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * DynamoDB: dynalite, through the launcher {@code dynamodb/server.cjs}, which keeps it alive when a client goes
 * away mid-request. Persistent: data under {@code home/data/dynamodb}.
 */
final class DynamoEmulator extends NodeEmulator {
  DynamoEmulator(Layout layout) {
    super(Service.DYNAMODB, layout);
  }

  @Override
  protected Command command(int port) throws IOException {
    List<String> args = new ArrayList<>(List.of(
        layout.devstackDir().resolve("dynamodb/server.cjs").toString(),
        "--port", Integer.toString(port)));
    if (layout.persistent()) {
      args.add("--path");
      args.add(layout.dataDir(name()).toString());
    }
    return new Command(args, layout.devstackDir(), Map.of());
  }

  @Override
  ReadinessProbe readiness() {
    return ReadinessProbe.awsJson(name(), port(), "DynamoDB_20120810.ListTables", "1.0", NODE_READY_TIMEOUT);
  }
}
