package audience.service;

import audience.auth.TokenVerifier;
import audience.aws.AwsClients;
import audience.config.Settings;
import com.amazonaws.Request;
import com.amazonaws.SDKGlobalConfiguration;
import com.amazonaws.auth.AWSCredentials;
import com.amazonaws.auth.DefaultAWSCredentialsProviderChain;
import com.amazonaws.handlers.HandlerContextKey;
import com.amazonaws.services.dynamodbv2.model.DescribeTableRequest;
import com.amazonaws.services.dynamodbv2.model.QueryRequest;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.ActorIdentity;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Identify;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsServiceClientConfiguration;
import software.amazon.awssdk.core.SdkClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.endpoints.DynamoDbEndpointProvider;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's whole configuration under {@code AUDIENCE_PROFILE=aws}, up to the creation of every AWS client and of
 * the journal and snapshot store, with no network: building an SDK v2 client makes no call, and the requests the
 * plugins' SDK v1 clients make are stopped in the JVM by {@link SdkV1RequestTrap}.
 */
class AwsProfileTest {
  private static final String REGION = "ap-southeast-2";
  private static final URI REGIONAL_DYNAMODB = URI.create("https://dynamodb." + REGION + ".amazonaws.com");
  private static final String EMULATOR_DYNAMODB = "http://127.0.0.1:4567";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String JOURNAL_PLUGIN_KEY = "pekko.persistence.journal.plugin";
  private static final String SNAPSHOT_PLUGIN_KEY = "pekko.persistence.snapshot-store.plugin";
  /** Credentials the SDK v1 default chain finds in system properties, without any network. */
  private static final Map<String, String> CHAIN_CREDENTIALS = Map.of(
      SDKGlobalConfiguration.ACCESS_KEY_SYSTEM_PROPERTY, "AKIDAWSPROFILETEST",
      SDKGlobalConfiguration.SECRET_KEY_SYSTEM_PROPERTY, "aws-profile-test-secret");

  private ActorTestKit testKit;
  private final Map<String, String> savedProperties = new HashMap<>();

  @AfterEach
  void stop() {
    SdkV1RequestTrap.disarm();
    if (testKit != null) testKit.shutdownTestKit();
    savedProperties.forEach((k, v) -> {
      if (v == null) System.clearProperty(k);
      else System.setProperty(k, v);
    });
  }

  private static Settings awsProfile() {
    return Settings.load(Map.of("audience.profile", Settings.PROFILE_AWS, "audience.aws.region", REGION));
  }

  private static Config plugin(Settings settings, String pluginKey) {
    Config c = settings.config();
    return c.getConfig(c.getString(pluginKey));
  }

  @Test
  void everyAwsClientUsesTheRegionsOwnEndpointAndTheDefaultCredentialChain() {
    Settings settings = awsProfile();
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      List<SdkClient> clients = List.of(aws.s3(), aws.dynamo(), aws.sns(), aws.sqs(), aws.kinesis());
      for (SdkClient client : clients) {
        AwsServiceClientConfiguration c = (AwsServiceClientConfiguration) client.serviceClientConfiguration();
        assertThat(c.endpointOverride()).as(client.serviceName()).isEmpty();
        assertThat(c.region()).as(client.serviceName()).isEqualTo(Region.of(REGION));
        assertThat(c.credentialsProvider()).as(client.serviceName()).isInstanceOf(DefaultCredentialsProvider.class);
      }
      // the endpoint the SDK v2 DynamoDB client resolves for the region: the one the journal must be given
      DynamoDbEndpointProvider provider = (DynamoDbEndpointProvider)
          aws.dynamo().serviceClientConfiguration().endpointProvider().orElseThrow();
      assertThat(provider.resolveEndpoint(p -> p.region(Region.of(REGION))).join().url()).isEqualTo(REGIONAL_DYNAMODB);
    }
  }

  @Test
  void theJournalAndSnapshotStoreStartAndAddressTheRegionsDynamoDbWithTheDefaultCredentialChain() throws Exception {
    Settings settings = awsProfile();
    for (String key : List.of(JOURNAL_PLUGIN_KEY, SNAPSHOT_PLUGIN_KEY)) {
      // both empty: the plugin builds its client without static keys, on the SDK v1 default provider chain
      assertThat(plugin(settings, key).getString("aws-access-key-id")).as(key).isEmpty();
      assertThat(plugin(settings, key).getString("aws-secret-access-key")).as(key).isEmpty();
    }
    CHAIN_CREDENTIALS.forEach((k, v) -> savedProperties.put(k, System.setProperty(k, v)));
    AWSCredentials fromChain = DefaultAWSCredentialsProviderChain.getInstance().getCredentials();
    BlockingQueue<Request<?>> requests = SdkV1RequestTrap.arm();

    testKit = ActorTestKit.create("aws-profile", settings.config());
    Persistence persistence = Persistence.get(Adapter.toClassic(testKit.system()));
    ActorRef journal = persistence.journalFor(settings.config().getString(JOURNAL_PLUGIN_KEY), ConfigFactory.empty());
    ActorRef snapshots =
        persistence.snapshotStoreFor(settings.config().getString(SNAPSHOT_PLUGIN_KEY), ConfigFactory.empty());
    // A plugin whose SDK v1 client refuses its endpoint throws in its constructor and is stopped: dead letters then
    // answer Identify for it, without a ref.
    assertThat(identify(journal)).as("journal plugin alive").contains(journal);
    assertThat(identify(snapshots)).as("snapshot store plugin alive").contains(snapshots);

    // the journal checks its table as it starts
    Request<?> describe = requests.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(describe).as("the journal's start-up request").isNotNull();
    assertThat(describe.getOriginalRequest()).isInstanceOfSatisfying(DescribeTableRequest.class,
        r -> assertThat(r.getTableName()).isEqualTo(settings.resources().journalTable()));
    assertAddressesTheRegion(describe, fromChain);

    // the snapshot store answers a load (here: failed, the trap stopped its query) after querying its table
    Object answer = Patterns.ask(snapshots,
            new SnapshotProtocol.LoadSnapshot("aws-profile-1", SnapshotSelectionCriteria.latest(), Long.MAX_VALUE),
            TIMEOUT).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(answer).isInstanceOf(SnapshotProtocol.LoadSnapshotFailed.class);
    Request<?> query = requests.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(query).as("the snapshot store's query").isNotNull();
    assertThat(query.getOriginalRequest()).isInstanceOfSatisfying(QueryRequest.class,
        r -> assertThat(r.getTableName()).isEqualTo(settings.resources().snapshotTable()));
    assertAddressesTheRegion(query, fromChain);
  }

  @Test
  void managementStartsOnEveryInterfaceAndAnswersLivenessWithTheAwsConfiguration() throws Exception {
    Settings settings = Settings.load(Map.of("audience.profile", Settings.PROFILE_AWS, "audience.aws.region", REGION,
        "pekko.management.http.port", 0));
    assertThat(settings.config().getString("pekko.management.http.bind-hostname")).isEqualTo("0.0.0.0");
    assertThat(settings.config().getBoolean("pekko.management.http.route-providers-read-only")).isTrue();
    testKit = ActorTestKit.create("aws-management", settings.config());
    var uri = Management.start(testKit.system(), settings.management()).orElseThrow();
    var alive = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + uri.port() + "/alive")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(alive.statusCode()).isEqualTo(200);
  }

  @Test
  void theLocalProfileKeepsTheEmulatorEndpointAndTestCredentials() {
    Settings settings = Settings.load(Map.of("audience.profile", Settings.PROFILE_LOCAL,
        "audience.aws.endpoints.dynamodb", EMULATOR_DYNAMODB));
    for (String key : List.of(JOURNAL_PLUGIN_KEY, SNAPSHOT_PLUGIN_KEY)) {
      Config plugin = plugin(settings, key);
      assertThat(plugin.getString("endpoint")).as(key).isEqualTo(EMULATOR_DYNAMODB);
      assertThat(plugin.getString("aws-access-key-id")).as(key).isEqualTo(settings.aws().accessKeyId()).isNotEmpty();
      assertThat(plugin.getString("aws-secret-access-key")).as(key)
          .isEqualTo(settings.aws().secretAccessKey()).isNotEmpty();
    }
    try (AwsClients aws = AwsClients.create(settings.aws())) {
      assertThat(aws.dynamo().serviceClientConfiguration().endpointOverride()).contains(URI.create(EMULATOR_DYNAMODB));
      assertThat(aws.dynamo().serviceClientConfiguration().credentialsProvider())
          .isInstanceOf(StaticCredentialsProvider.class);
    }
  }

  /** Sent to the region's DynamoDB endpoint, signed for the region, with what the default chain provides. */
  private static void assertAddressesTheRegion(Request<?> request, AWSCredentials fromChain) {
    assertThat(request.getEndpoint()).isEqualTo(REGIONAL_DYNAMODB);
    assertThat(request.getHandlerContext(HandlerContextKey.SIGNING_REGION)).isEqualTo(REGION);
    assertThat(request.getHandlerContext(HandlerContextKey.AWS_CREDENTIALS).getAWSAccessKeyId())
        .isEqualTo(fromChain.getAWSAccessKeyId());
  }

  private static Optional<ActorRef> identify(ActorRef ref) throws Exception {
    Object answer = Patterns.ask(ref, new Identify(ref.path().name()), TIMEOUT)
        .toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    return ((ActorIdentity) answer).getActorRef();
  }

  @Test
  void theApiRefusesEveryTokenWithTheReasonWithoutAJwksUrlOnAwsAndBuildsWithOneWithoutNetwork() {
    Settings missing = awsProfile();
    assertThat(missing.api().introspection()).as("introspection off on aws").isFalse();
    var refusing = TokenVerifier.of(missing.api().jwt(), missing.profile());
    assertThat(refusing.verifyHeader(java.util.Optional.of("Bearer a.b.c"))).as("the node starts; the API says why")
        .isEqualTo(new TokenVerifier.Rejected("the API cannot verify tokens: "
            + "audience.api.jwt.jwks-url (AUDIENCE_API_JWKS_URL) is required on the aws profile"));
    Settings configured = Settings.load(Map.of("audience.profile", Settings.PROFILE_AWS, "audience.aws.region", REGION,
        "audience.api.jwt.jwks-url", "https://idp.example.com/.well-known/jwks.json",
        "audience.api.jwt.issuer", "https://idp.example.com/", "audience.api.jwt.audience", "audience-engine"));
    assertThat(TokenVerifier.of(configured.api().jwt(), configured.profile())).isNotNull();
    assertThat(TokenVerifier.of(configured.api().jwt(), configured.profile())
        .verify("not-a-token")).isInstanceOf(TokenVerifier.Rejected.class);
  }

  @Test
  void withoutAnEdmPlatformConfiguredTheNodeStillStartsAndUploadsFailWithWhatToSet() {
    Settings aws = awsProfile();
    assertThat(aws.bookings().edm().configured()).isFalse();
    audience.bookings.EdmPlatform edm = audience.bookings.HttpEdmPlatform.orUnconfigured(aws.bookings().edm());
    assertThat(edm.findByTag("b-1/0").toCompletableFuture()).failsWithin(TIMEOUT)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause().isInstanceOf(audience.bookings.EdmPlatform.Refused.class)
        .withMessageContaining("AUDIENCE_EDM_API_KEY");
    Settings configured = Settings.load(Map.of("audience.profile", Settings.PROFILE_AWS, "audience.aws.region", REGION,
        "audience.bookings.edm.base-url", "https://edm.example.com", "audience.bookings.edm.api-key", "k"));
    assertThat(audience.bookings.HttpEdmPlatform.orUnconfigured(configured.bookings().edm()))
        .isInstanceOf(audience.bookings.HttpEdmPlatform.class);
  }
}
