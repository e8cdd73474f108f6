package audience.devstack;

import audience.devstack.DevStack.Service;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * SNS: the {@code SNSServer} of serverless-offline-sns with the fixes of {@code sns/server.mjs}. It delivers to
 * SQS subscriptions through the SQS emulator, so it starts after it. Topics and subscriptions live in memory.
 */
final class SnsEmulator extends NodeEmulator {
  private final Supplier<URI> sqsEndpoint;

  /** @param sqsEndpoint where the SQS emulator answers once started; null when there is none */
  SnsEmulator(Layout layout, Supplier<URI> sqsEndpoint) {
    super(Service.SNS, layout);
    this.sqsEndpoint = sqsEndpoint;
  }

  @Override
  protected Command command(int port) {
    List<String> args = new ArrayList<>(List.of(layout.devstackDir().resolve("sns/server.mjs").toString(),
        "--port", Integer.toString(port),
        "--host", Support.LOOPBACK,
        "--region", DevStack.REGION,
        "--account-id", DevStack.ACCOUNT_ID));
    URI sqs = sqsEndpoint.get();
    if (sqs != null) {
      args.add("--sqs-endpoint");
      args.add(sqs.toString());
    }
    return new Command(args, layout.devstackDir(), Map.of(
        "AWS_ACCESS_KEY_ID", DevStack.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", DevStack.SECRET_KEY,
        "AWS_REGION", DevStack.REGION));
  }

  /** A ListTopics that succeeds: the launcher answers its own failures with SNS-style XML errors. */
  @Override
  ReadinessProbe readiness() {
    return ReadinessProbe.awsQuery(name(), port(), "Action=ListTopics&Version=2010-03-31", NODE_READY_TIMEOUT);
  }
}
