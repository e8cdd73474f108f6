package audience.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import audience.devstack.DevStack.Endpoints;
import audience.devstack.DevStack.Options;
import audience.devstack.DevStack.Service;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sns.SnsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;

/** Real SDK v2 calls against the emulators. */
class DevStackIT {
  private static SdkAsyncHttpClient http;

  @BeforeAll
  static void httpClient() {
    http = NettyNioAsyncHttpClient.builder().build();
  }

  @AfterAll
  static void closeHttpClient() {
    http.close();
  }

  private static StaticCredentialsProvider credentials(Endpoints e) {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(e.accessKey(), e.secretKey()));
  }

  private static S3AsyncClient s3(Endpoints e) {
    return S3AsyncClient.builder().endpointOverride(e.s3()).forcePathStyle(true).region(Region.of(e.region()))
        .credentialsProvider(credentials(e)).httpClient(http).build();
  }

  private static DynamoDbAsyncClient dynamo(Endpoints e) {
    return DynamoDbAsyncClient.builder().endpointOverride(e.dynamodb()).region(Region.of(e.region()))
        .credentialsProvider(credentials(e)).httpClient(http).build();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Polls until the supplier returns non-null, or fails at the deadline. */
  private static <T> T await(String what, Duration timeout, Supplier<T> attempt) {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      T value = attempt.get();
      if (value != null) {
        return value;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new AssertionError(ex);
      }
    }
  }

  @Test
  void s3PutListWithStartAfterGet() {
    Endpoints e = DevStack.shared().endpoints();
    try (S3AsyncClient s3 = s3(e)) {
      String bucket = unique("bucket");
      s3.createBucket(b -> b.bucket(bucket)).join();
      for (String key : List.of("a/1", "a/2", "a/3", "b/1")) {
        s3.putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromString("body of " + key)).join();
      }
      List<String> keys = s3.listObjectsV2(b -> b.bucket(bucket).startAfter("a/2")).join()
          .contents().stream().map(S3Object::key).toList();
      assertThat(keys).containsExactly("a/3", "b/1");
      String body = s3.getObject(b -> b.bucket(bucket).key("a/3"), AsyncResponseTransformer.toBytes()).join()
          .asUtf8String();
      assertThat(body).isEqualTo("body of a/3");
    }
  }

  @Test
  void dynamoCreateTableBatchWriteScan() {
    Endpoints e = DevStack.shared().endpoints();
    try (DynamoDbAsyncClient db = dynamo(e)) {
      String table = unique("table");
      createTable(db, table);
      List<WriteRequest> writes = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(Map.of(
            "id", AttributeValue.fromS("item-" + i),
            "n", AttributeValue.fromN(Integer.toString(i)))).build()).build());
      }
      var result = db.batchWriteItem(b -> b.requestItems(Map.of(table, writes))).join();
      assertThat(result.unprocessedItems()).isEmpty();
      var scan = db.scan(b -> b.tableName(table)).join();
      assertThat(scan.count()).isEqualTo(10);
      assertThat(scan.items()).extracting(item -> item.get("id").s()).contains("item-0", "item-9");
    }
  }

  private static void createTable(DynamoDbAsyncClient db, String table) {
    db.createTable(b -> b.tableName(table)
        .attributeDefinitions(AttributeDefinition.builder().attributeName("id")
            .attributeType(ScalarAttributeType.S).build())
        .keySchema(KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
        .billingMode(BillingMode.PAY_PER_REQUEST)).join();
    await("table " + table + " to be active", Duration.ofSeconds(20), () ->
        db.describeTable(b -> b.tableName(table)).join().table().tableStatus() == TableStatus.ACTIVE ? true : null);
  }

  @Test
  void kinesisCreateStreamPutGet() {
    Endpoints e = DevStack.shared().endpoints();
    try (KinesisAsyncClient kinesis = KinesisAsyncClient.builder().endpointOverride(e.kinesis())
        .region(Region.of(e.region())).credentialsProvider(credentials(e)).httpClient(http).build()) {
      String stream = unique("stream");
      kinesis.createStream(b -> b.streamName(stream).shardCount(1)).join();
      await("stream " + stream + " to be active", Duration.ofSeconds(20), () ->
          kinesis.describeStreamSummary(b -> b.streamName(stream)).join().streamDescriptionSummary()
              .streamStatus() == StreamStatus.ACTIVE ? true : null);
      var put = kinesis.putRecord(b -> b.streamName(stream).partitionKey("pk")
          .data(SdkBytes.fromUtf8String("hello kinesis"))).join();
      String iterator = kinesis.getShardIterator(b -> b.streamName(stream).shardId(put.shardId())
          .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).join().shardIterator();
      List<Record> records = await("the record", Duration.ofSeconds(20), () -> {
        List<Record> r = kinesis.getRecords(b -> b.shardIterator(iterator)).join().records();
        return r.isEmpty() ? null : r;
      });
      assertThat(records).hasSize(1);
      assertThat(records.get(0).data().asUtf8String()).isEqualTo("hello kinesis");
      assertThat(records.get(0).sequenceNumber()).isEqualTo(put.sequenceNumber());
    }
  }

  @Test
  void snsDeliversRawMessagesIntoSqs() {
    Endpoints e = DevStack.shared().endpoints();
    try (SnsAsyncClient sns = SnsAsyncClient.builder().endpointOverride(e.sns()).region(Region.of(e.region()))
            .credentialsProvider(credentials(e)).httpClient(http).build();
        SqsAsyncClient sqs = SqsAsyncClient.builder().endpointOverride(e.sqs()).region(Region.of(e.region()))
            .credentialsProvider(credentials(e)).httpClient(http).build()) {
      String topicArn = sns.createTopic(b -> b.name(unique("topic"))).join().topicArn();
      assertThat(topicArn).startsWith("arn:aws:sns:us-east-1:");

      // 1. raw delivery requested at Subscribe
      String rawQueue = sqs.createQueue(b -> b.queueName(unique("raw"))).join().queueUrl();
      String rawSub = sns.subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(rawQueue)
          .attributes(Map.of("RawMessageDelivery", "true"))).join().subscriptionArn();
      assertThat(rawSub).startsWith(topicArn + ":");
      // 2. raw delivery switched on afterwards
      String laterQueue = sqs.createQueue(b -> b.queueName(unique("later"))).join().queueUrl();
      String laterSub = sns.subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(laterQueue)).join()
          .subscriptionArn();
      sns.setSubscriptionAttributes(b -> b.subscriptionArn(laterSub).attributeName("RawMessageDelivery")
          .attributeValue("true")).join();
      assertThat(sns.getSubscriptionAttributes(b -> b.subscriptionArn(laterSub)).join().attributes())
          .containsEntry("RawMessageDelivery", "true");
      // 3. no raw delivery: the SNS JSON envelope
      String envelopeQueue = sqs.createQueue(b -> b.queueName(unique("envelope"))).join().queueUrl();
      sns.subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(envelopeQueue)).join();

      String body = "{\"event\":\"audience-updated\",\"id\":\"" + UUID.randomUUID() + "\"}";
      String messageId = sns.publish(b -> b.topicArn(topicArn).message(body)).join().messageId();
      assertThat(messageId).isNotBlank();

      assertThat(receiveOne(sqs, rawQueue).body()).isEqualTo(body);
      assertThat(receiveOne(sqs, laterQueue).body()).isEqualTo(body);
      String envelope = receiveOne(sqs, envelopeQueue).body();
      assertThat(envelope).contains("\"Type\":\"Notification\"", "\"TopicArn\":\"" + topicArn + "\"",
          "\"MessageId\":\"" + messageId + "\"");
    }
  }

  private static Message receiveOne(SqsAsyncClient sqs, String queueUrl) {
    return await("a message in " + queueUrl, Duration.ofSeconds(20), () -> {
      List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(1)
          .maxNumberOfMessages(10)).join().messages();
      if (messages.isEmpty()) {
        return null;
      }
      assertThat(messages).hasSize(1);
      return messages.get(0);
    });
  }

  @Test
  void persistentModeKeepsS3AndDynamoDataAcrossRestarts(@TempDir Path home) throws Exception {
    Options options = new Options(home, true, EnumSet.of(Service.S3, Service.DYNAMODB), DevStack.locateDir());
    String bucket = unique("keep");
    String table = unique("keep");
    Endpoints first;
    try (DevStack stack = DevStack.start(options)) {
      first = stack.endpoints();
      assertThat(first.kinesis()).isNull();
      assertThat(first.sqs()).isNull();
      try (S3AsyncClient s3 = s3(first); DynamoDbAsyncClient db = dynamo(first)) {
        s3.createBucket(b -> b.bucket(bucket)).join();
        s3.putObject(b -> b.bucket(bucket).key("kept.txt"), AsyncRequestBody.fromString("still here")).join();
        createTable(db, table);
        db.putItem(b -> b.tableName(table).item(Map.of("id", AttributeValue.fromS("k"),
            "v", AttributeValue.fromS("still here")))).join();
      }
    }
    assertThat(Files.list(home.resolve("data")).map(p -> p.getFileName().toString()))
        .contains("s3", "dynamodb");

    try (DevStack stack = DevStack.start(options)) {
      Endpoints second = stack.endpoints();
      assertThat(second).as("same ports after a restart").isEqualTo(first);
      try (S3AsyncClient s3 = s3(second); DynamoDbAsyncClient db = dynamo(second)) {
        String body = s3.getObject(b -> b.bucket(bucket).key("kept.txt"), AsyncResponseTransformer.toBytes())
            .join().asUtf8String();
        assertThat(body).isEqualTo("still here");
        var item = db.getItem(b -> b.tableName(table).key(Map.of("id", AttributeValue.fromS("k")))
            .consistentRead(true)).join().item();
        assertThat(item.get("v").s()).isEqualTo("still here");
      }
    }
    assertThat(Files.readString(home.resolve("logs/devstack.log"), StandardCharsets.UTF_8))
        .contains("devstack stopped");
  }

  @Test
  void persistentRestartMovesOffARememberedPortThatIsTaken(@TempDir Path home) throws Exception {
    Options options = new Options(home, true, EnumSet.of(Service.S3), DevStack.locateDir());
    String bucket = unique("moved");
    int firstPort;
    try (DevStack stack = DevStack.start(options)) {
      firstPort = stack.endpoints().s3().getPort();
      try (S3AsyncClient s3 = s3(stack.endpoints())) {
        s3.createBucket(b -> b.bucket(bucket)).join();
      }
    }
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.setReuseAddress(true); // the stopped S3Proxy's connections may linger in TIME_WAIT
      squatter.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), firstPort));
      try (DevStack stack = DevStack.start(options)) {
        Endpoints second = stack.endpoints();
        assertThat(second.s3().getPort()).isNotEqualTo(firstPort);
        try (S3AsyncClient s3 = s3(second)) {
          assertThat(s3.listBuckets().join().buckets()).extracting(Bucket::name).contains(bucket);
        }
      }
    }
  }

  @Test
  void endpointsJsonRoundTrips(@TempDir Path dir) {
    Endpoints e = new Endpoints(URI.create("http://127.0.0.1:1"), null, URI.create("http://127.0.0.1:3"), null,
        URI.create("http://127.0.0.1:5"), "us-east-1", "te\"st", "sec\\ret");
    Path json = dir.resolve("endpoints.json");
    e.write(json);
    assertThat(Endpoints.read(json)).isEqualTo(e);
  }
}
