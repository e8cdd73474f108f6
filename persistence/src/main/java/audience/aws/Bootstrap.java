package audience.aws;

import audience.config.Settings.Resources;
import audience.config.Settings.StreamSettings;
import audience.store.BookingStore;
import audience.store.QuarantineLayout;
import audience.store.SegmentStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.LocalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Creates what the service needs when it is missing, and checks it when it is there: the same code
 * runs against the emulators and against AWS. Every step is idempotent.
 */
public final class Bootstrap {
  private static final int HTTP_BAD_REQUEST = 400;
  private static final Logger log = LoggerFactory.getLogger(Bootstrap.class);
  private static final Duration TABLE_ACTIVE_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration TABLE_POLL = Duration.ofMillis(250);

  /** What the rest of the service addresses by ARN or URL. */
  public record Resolved(String triggerTopicArn, String triggerQueueUrl, String notificationsTopicArn) {}

  private final AwsClients aws;
  private final Resources resources;
  private final StreamSettings segments;

  public Bootstrap(AwsClients aws, Resources resources, StreamSettings segments) {
    this.aws = aws;
    this.resources = resources;
    this.segments = segments;
  }

  /** Creates (if asked to) and resolves every resource; blocks until tables are ACTIVE. */
  public Resolved run() {
    if (resources.bootstrap()) {
      createTables();
      ensureBucket(resources.rawBucket());
      ensureBucket(resources.segmentsBucket());
      ensureBucket(resources.audiencesBucket());
      ensureStream(aws.kinesis(), resources.segmentsStream(), segments.shards());
    }
    String triggerTopic = topicArn(resources.triggerTopic());
    String notifications = topicArn(resources.notificationsTopic());
    String queueUrl = queueUrl(resources.triggerQueue());
    if (resources.bootstrap()) subscribeQueue(aws, triggerTopic, queueUrl);
    log.info("bootstrap done: tables {}, {}, {}, {}, {}, {}, {}, {}; buckets {}, {}, {}; stream {}; trigger {} -> {}; "
        + "notifications {}", resources.membersTable(), resources.memberFilesTable(), resources.suppressionTable(),
        resources.quarantineTable(), resources.runsTable(), resources.bookingsTable(), resources.journalTable(),
        resources.snapshotTable(), resources.rawBucket(), resources.segmentsBucket(), resources.audiencesBucket(),
        resources.segmentsStream(), triggerTopic, queueUrl, notifications);
    return new Resolved(triggerTopic, queueUrl, notifications);
  }

  /** The members table's layout (one current item per member: hash memberId), under any name. */
  public static CreateTableRequest.Builder membersLayout(String table) {
    return hashKeyLayout(table, "memberId");
  }

  /** A table with one string hash key. */
  public static CreateTableRequest.Builder hashKeyLayout(String table, String hashKey) {
    return CreateTableRequest.builder().tableName(table)
        .attributeDefinitions(attr(hashKey, ScalarAttributeType.S)).keySchema(key(hashKey, KeyType.HASH));
  }

  /** The quarantine table's layout (see {@link QuarantineLayout}): hash pk = runId#shard, range fileKey. */
  public static CreateTableRequest.Builder quarantineLayout(String table) {
    return CreateTableRequest.builder().tableName(table)
        .attributeDefinitions(attr(QuarantineLayout.PARTITION_KEY, ScalarAttributeType.S),
            attr(QuarantineLayout.SORT_KEY, ScalarAttributeType.S))
        .keySchema(key(QuarantineLayout.PARTITION_KEY, KeyType.HASH), key(QuarantineLayout.SORT_KEY, KeyType.RANGE));
  }

  /** The segments read model's layout: hash generation, range segmentId (see {@link SegmentStore}). */
  public static CreateTableRequest.Builder segmentsLayout(String table) {
    return CreateTableRequest.builder().tableName(table)
        .attributeDefinitions(attr(SegmentStore.GENERATION, ScalarAttributeType.S),
            attr(SegmentStore.SEGMENT_ID, ScalarAttributeType.S))
        .keySchema(key(SegmentStore.GENERATION, KeyType.HASH), key(SegmentStore.SEGMENT_ID, KeyType.RANGE));
  }

  void createTables() {
    createTable(membersLayout(resources.membersTable()));
    createTable(segmentsLayout(resources.segmentsTable()));
    createTable(hashKeyLayout(resources.memberFilesTable(), "sourceKey"));
    enableTtl(aws.dynamo(), resources.memberFilesTable(), "expiresAt");
    createTable(hashKeyLayout(resources.suppressionTable(), "memberId"));
    createTable(quarantineLayout(resources.quarantineTable()));
    enableTtl(aws.dynamo(), resources.quarantineTable(), QuarantineLayout.EXPIRES_AT);
    createTable(hashKeyLayout(resources.runsTable(), "runId"));
    createTable(hashKeyLayout(resources.bookingsTable(), BookingStore.BOOKING_ID));
    // pekko-persistence-dynamodb layout: par/num plus a keys-only GSI on num for currentPersistenceIds.
    createTable(CreateTableRequest.builder().tableName(resources.journalTable())
        .attributeDefinitions(attr("par", ScalarAttributeType.S), attr("num", ScalarAttributeType.N))
        .keySchema(key("par", KeyType.HASH), key("num", KeyType.RANGE))
        .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("persistence-ids-idx")
            .keySchema(key("num", KeyType.HASH))
            .projection(Projection.builder().projectionType(ProjectionType.KEYS_ONLY).build()).build()));
    createTable(CreateTableRequest.builder().tableName(resources.snapshotTable())
        .attributeDefinitions(attr("par", ScalarAttributeType.S), attr("seq", ScalarAttributeType.N),
            attr("ts", ScalarAttributeType.N))
        .keySchema(key("par", KeyType.HASH), key("seq", KeyType.RANGE))
        .localSecondaryIndexes(LocalSecondaryIndex.builder().indexName("ts-idx")
            .keySchema(key("par", KeyType.HASH), key("ts", KeyType.RANGE))
            .projection(Projection.builder().projectionType(ProjectionType.ALL).build()).build()));
  }

  private void createTable(CreateTableRequest.Builder request) {
    createTable(aws.dynamo(), request);
  }

  /**
   * Turns on DynamoDB's time to live on {@code attribute} (epoch seconds). An emulator without TTL (dynalite) is
   * told so in the log and rows there simply stay; on AWS a failure is an error.
   */
  public static void enableTtl(DynamoDbAsyncClient dynamo, String table, String attribute) {
    try {
      dynamo.updateTimeToLive(b -> b.tableName(table).timeToLiveSpecification(t -> t.enabled(true)
          .attributeName(attribute))).join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      boolean alreadyOn = cause instanceof DynamoDbException d && d.getMessage() != null
          && d.getMessage().contains("already enabled");
      boolean unsupported = cause instanceof DynamoDbException d && d.statusCode() == HTTP_BAD_REQUEST && !alreadyOn
          && d.getMessage() != null && d.getMessage().contains("UnknownOperation");
      if (alreadyOn) return;
      if (unsupported) {
        log.info("table {}: this DynamoDB has no time to live; {} rows are kept", table, attribute);
        return;
      }
      throw e;
    }
  }

  /** Creates the table (on demand billing) unless it exists, then waits until it is ACTIVE. */
  public static void createTable(DynamoDbAsyncClient dynamo, CreateTableRequest.Builder request) {
    CreateTableRequest r = request.billingMode(BillingMode.PAY_PER_REQUEST).build();
    try {
      var existing = dynamo.describeTable(b -> b.tableName(r.tableName())).join().table();
      if (!new java.util.HashSet<>(existing.keySchema()).equals(new java.util.HashSet<>(r.keySchema()))) {
        throw new IllegalStateException("table " + r.tableName() + " exists with key schema " + existing.keySchema()
            + ", expected " + r.keySchema() + " (a layout from an older version: delete the table, or configure"
            + " another name under audience.resources)");
      }
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof ResourceNotFoundException)) throw e;
      try {
        dynamo.createTable(r).join();
        log.info("created table {}", r.tableName());
      } catch (CompletionException c) {
        if (!(c.getCause() instanceof ResourceInUseException)) throw c;
      }
    }
    awaitActive(dynamo, r.tableName());
  }

  private static void awaitActive(DynamoDbAsyncClient dynamo, String table) {
    awaitActive("table " + table,
        () -> dynamo.describeTable(b -> b.tableName(table)).join().table().tableStatus() == TableStatus.ACTIVE);
  }

  /** Polls {@code active} until it holds or {@link #TABLE_ACTIVE_TIMEOUT} passes. */
  private static void awaitActive(String what, java.util.function.BooleanSupplier active) {
    Instant deadline = Instant.now().plus(TABLE_ACTIVE_TIMEOUT);
    while (!active.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) throw new IllegalStateException(what + " not ACTIVE after " + TABLE_ACTIVE_TIMEOUT);
      try {
        Thread.sleep(TABLE_POLL.toMillis()); // polling AWS for the resource's state, not test synchronisation
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + what, e);
      }
    }
  }

  /**
   * Creates the Kinesis data stream with {@code shards} shards (provisioned mode) unless it exists, then waits until
   * it is ACTIVE (an existing stream being resharded is UPDATING for a while; it keeps its own shard count). Never
   * deletes: kinesis-local schedules a delayed delete even for a missing stream, which would later remove a stream
   * created under the same name.
   */
  public static void ensureStream(KinesisAsyncClient kinesis, String stream, int shards) {
    if (streamStatus(kinesis, stream) == null) {
      try {
        kinesis.createStream(b -> b.streamName(stream).shardCount(shards)).join();
        log.info("created stream {} with {} shards", stream, shards);
      } catch (CompletionException c) {
        if (!(c.getCause() instanceof software.amazon.awssdk.services.kinesis.model.ResourceInUseException)) throw c;
      }
    }
    awaitActive("stream " + stream, () -> streamStatus(kinesis, stream) == StreamStatus.ACTIVE);
  }

  /** The stream's status, or null when there is no such stream. */
  private static StreamStatus streamStatus(KinesisAsyncClient kinesis, String stream) {
    try {
      return kinesis.describeStreamSummary(b -> b.streamName(stream)).join().streamDescriptionSummary().streamStatus();
    } catch (CompletionException e) {
      if (e.getCause() instanceof software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException) return null;
      throw e;
    }
  }

  /** Creates the bucket when missing. */
  public void ensureBucket(String bucket) {
    try {
      aws.s3().headBucket(b -> b.bucket(bucket)).join();
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof NoSuchBucketException)
          && !(e.getCause() instanceof software.amazon.awssdk.services.s3.model.S3Exception s3e && s3e.statusCode() == 404)) {
        throw e;
      }
      try {
        aws.s3().createBucket(createBucketRequest(bucket, aws.s3().serviceClientConfiguration().region())).join();
        log.info("created bucket {}", bucket);
      } catch (CompletionException c) {
        if (!(c.getCause() instanceof BucketAlreadyOwnedByYouException)) throw c;
      }
    }
  }

  /**
   * CreateBucket for {@code region}: outside us-east-1, S3 refuses a bucket without a location constraint
   * ({@code IllegalLocationConstraintException}); in us-east-1 it refuses one that names the region.
   */
  static CreateBucketRequest createBucketRequest(String bucket, Region region) {
    CreateBucketRequest.Builder b = CreateBucketRequest.builder().bucket(bucket);
    if (!Region.US_EAST_1.equals(region)) {
      b.createBucketConfiguration(c -> c.locationConstraint(region.id()));
    }
    return b.build();
  }

  /** CreateTopic is idempotent in SNS: it returns the existing topic's ARN. */
  private String topicArn(String name) {
    return aws.sns().createTopic(b -> b.name(name)).join().topicArn();
  }

  /** CreateQueue is idempotent for identical attributes; returns the queue URL. */
  private String queueUrl(String name) {
    return aws.sqs().createQueue(b -> b.queueName(name)).join().queueUrl();
  }

  /**
   * Subscribes {@code queueUrl} to {@code topicArn} with raw delivery (once: an existing subscription is kept), with
   * the queue policy that lets the topic send to it on AWS: the trigger queue, and any outside subscriber's queue.
   */
  public static void subscribeQueue(AwsClients aws, String topicArn, String queueUrl) {
    String queueArn = aws.sqs().getQueueAttributes(b -> b.queueUrl(queueUrl)
        .attributeNames(QueueAttributeName.QUEUE_ARN)).join().attributes().get(QueueAttributeName.QUEUE_ARN);
    // In AWS the queue must allow the topic to send to it; the emulator ignores the policy.
    String policy = """
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},\
        "Action":"sqs:SendMessage","Resource":"%s","Condition":{"ArnEquals":{"aws:SourceArn":"%s"}}}]}"""
        .formatted(queueArn, topicArn);
    aws.sqs().setQueueAttributes(b -> b.queueUrl(queueUrl).attributes(Map.of(QueueAttributeName.POLICY, policy))).join();
    boolean subscribed = aws.sns().listSubscriptionsByTopic(b -> b.topicArn(topicArn)).join().subscriptions().stream()
        .anyMatch(s -> "sqs".equals(s.protocol()) && (queueArn.equals(s.endpoint()) || queueUrl.equals(s.endpoint())));
    if (!subscribed) {
      // The SNS emulator delivers to the queue URL; AWS wants the queue ARN.
      String endpoint = aws.sqs().serviceClientConfiguration().endpointOverride().isPresent() ? queueUrl : queueArn;
      aws.sns().subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(endpoint)
          .attributes(Map.of("RawMessageDelivery", "true"))).join();
      log.info("subscribed queue {} to topic {} (raw delivery)", queueUrl, topicArn);
    }
  }

  private static AttributeDefinition attr(String name, ScalarAttributeType type) {
    return AttributeDefinition.builder().attributeName(name).attributeType(type).build();
  }

  private static KeySchemaElement key(String name, KeyType type) {
    return KeySchemaElement.builder().attributeName(name).keyType(type).build();
  }

  /** Exposed for tests that list what was created. */
  public List<String> tableNames() {
    return List.of(resources.membersTable(), resources.quarantineTable(), resources.runsTable(),
        resources.journalTable(), resources.snapshotTable());
  }
}
