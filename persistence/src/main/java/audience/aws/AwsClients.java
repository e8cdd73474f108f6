package audience.aws;

import audience.config.Settings.AwsSettings;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsAsyncClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.sns.SnsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;

import java.net.URI;
import java.time.Duration;

/**
 * Every AWS client the service uses, built from {@code audience.aws}: endpoint overrides and static
 * credentials for the emulators, or neither (real AWS, default provider chain). Nothing else differs.
 */
public record AwsClients(
    S3AsyncClient s3, DynamoDbAsyncClient dynamo, SnsAsyncClient sns, SqsAsyncClient sqs,
    KinesisAsyncClient kinesis) implements AutoCloseable {

  private static final Duration CONNECTION_ACQUIRE_TIMEOUT = Duration.ofSeconds(60);

  public static AwsClients create(AwsSettings settings) {
    S3AsyncClient s3 = configure(S3AsyncClient.builder(), settings, settings.endpoints().s3())
        .forcePathStyle(!settings.endpoints().s3().isEmpty())
        // CRC32 on every PUT and GET costs CPU per small file and buys nothing over TLS/SigV4 here.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build();
    return new AwsClients(
        s3,
        configure(DynamoDbAsyncClient.builder(), settings, settings.endpoints().dynamodb()).build(),
        configure(SnsAsyncClient.builder(), settings, settings.endpoints().sns()).build(),
        configure(SqsAsyncClient.builder(), settings, settings.endpoints().sqs()).build(),
        // HTTP/1.1: HTTP/2 is only needed for SubscribeToShard (enhanced fan-out), which the consumers do not use;
        // on HTTP/1.1 the devstack's fault proxy can fail Kinesis calls like every other service's.
        configure(KinesisAsyncClient.builder(), settings, settings.endpoints().kinesis())
            .httpClientBuilder(http(settings).protocol(Protocol.HTTP1_1)).build());
  }

  public static AwsCredentialsProvider credentials(AwsSettings settings) {
    return settings.staticCredentials()
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey()))
        : DefaultCredentialsProvider.builder().build();
  }

  private static <B extends AwsAsyncClientBuilder<B, ?> & AwsClientBuilder<B, ?>> B configure(
      B builder, AwsSettings settings, String endpoint) {
    builder.region(Region.of(settings.region()))
        .credentialsProvider(credentials(settings))
        .httpClientBuilder(http(settings))
        .overrideConfiguration(overrides(settings));
    if (!endpoint.isEmpty()) builder.endpointOverride(URI.create(endpoint));
    return builder;
  }

  private static NettyNioAsyncHttpClient.Builder http(AwsSettings settings) {
    return NettyNioAsyncHttpClient.builder().maxConcurrency(settings.maxConcurrency())
        .connectionAcquisitionTimeout(CONNECTION_ACQUIRE_TIMEOUT);
  }

  /** A whole-call timeout schedules a timer per request: only when asked for (the HTTP client's read timeout stays). */
  private static ClientOverrideConfiguration overrides(AwsSettings settings) {
    ClientOverrideConfiguration.Builder b = ClientOverrideConfiguration.builder();
    if (!settings.apiCallTimeout().isZero()) b.apiCallTimeout(settings.apiCallTimeout());
    return b.build();
  }

  @Override
  public void close() {
    s3.close();
    dynamo.close();
    sns.close();
    sqs.close();
    kinesis.close();
  }
}
