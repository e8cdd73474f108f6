package audience.bench;

import audience.aws.Bootstrap;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

import java.util.concurrent.CompletionException;

/** The benchmark's own tables: baselines (members layout) and the scratch table of the write ceiling. */
final class BenchTables {
  private BenchTables() {}

  /** A table with the members table's keys: hash memberId (S), range lastActive (N). */
  static void createMembersLike(DynamoDbAsyncClient dynamo, String table) {
    Bootstrap.createTable(dynamo, Bootstrap.membersLayout(table));
  }

  /** A table with a single string hash key {@code id}. */
  static void createScratch(DynamoDbAsyncClient dynamo, String table) {
    Bootstrap.createTable(dynamo, Bootstrap.hashKeyLayout(table, "id"));
  }

  /** Drops a table so its items do not weigh on the emulator during the service's run. */
  static void drop(DynamoDbAsyncClient dynamo, String table) {
    try {
      dynamo.deleteTable(b -> b.tableName(table)).join();
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof ResourceNotFoundException)) throw e;
    }
  }
}
