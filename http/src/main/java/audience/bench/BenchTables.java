package audience.bench;

import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;

/** The benchmark's own tables: baselines (members layout) and the scratch table of the write ceiling. */
final class BenchTables {
  private static final Duration ACTIVE_TIMEOUT = Duration.ofMinutes(2);

  private BenchTables() {}

  /** A table with the members table's keys: hash memberId (S), range lastActive (N). */
  static void createMembersLike(DynamoDbAsyncClient dynamo, String table) {
    dynamo.createTable(b -> b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(attr("memberId", ScalarAttributeType.S), attr("lastActive", ScalarAttributeType.N))
        .keySchema(key("memberId", KeyType.HASH), key("lastActive", KeyType.RANGE))).join();
    awaitActive(dynamo, table);
  }

  /** A table with a single string hash key {@code id}. */
  static void createScratch(DynamoDbAsyncClient dynamo, String table) {
    dynamo.createTable(b -> b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(attr("id", ScalarAttributeType.S)).keySchema(key("id", KeyType.HASH))).join();
    awaitActive(dynamo, table);
  }

  /** Drops a table so its items do not weigh on the emulator during the service's run. */
  static void drop(DynamoDbAsyncClient dynamo, String table) {
    try {
      dynamo.deleteTable(b -> b.tableName(table)).join();
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof ResourceNotFoundException)) throw e;
    }
  }

  private static void awaitActive(DynamoDbAsyncClient dynamo, String table) {
    Instant deadline = Instant.now().plus(ACTIVE_TIMEOUT);
    while (dynamo.describeTable(b -> b.tableName(table)).join().table().tableStatus() != TableStatus.ACTIVE) {
      if (Instant.now().isAfter(deadline)) throw new IllegalStateException("table " + table + " not ACTIVE");
      sleep(100);
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms); // polling an emulator's table state
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static AttributeDefinition attr(String name, ScalarAttributeType type) {
    return AttributeDefinition.builder().attributeName(name).attributeType(type).build();
  }

  private static KeySchemaElement key(String name, KeyType type) {
    return KeySchemaElement.builder().attributeName(name).keyType(type).build();
  }
}
