package audience.bench;

import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.config.Settings.Retry;
import audience.store.BatchWriter;
import audience.store.MemberStore;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

import java.time.Clock;
import java.util.concurrent.CompletionException;

/** The benchmark's own tables: baselines (members layout) and the scratch table of the write ceiling. */
final class BenchTables {
  private BenchTables() {}

  /** A member store of its own: {@code table} laid out as the members table, and its member-files table. */
  static void createMembersLike(DynamoDbAsyncClient dynamo, String table) {
    Bootstrap.createTable(dynamo, Bootstrap.membersLayout(table));
    Bootstrap.createTable(dynamo, Bootstrap.hashKeyLayout(memberFiles(table), MemberStore.SOURCE_KEY));
  }

  /** The member store on the tables of {@link #createMembersLike}: the service's write semantics. */
  static MemberStore memberStore(DynamoDbAsyncClient dynamo, String table, Settings settings) {
    Retry retry = settings.ingestion().retry();
    return new MemberStore(dynamo, new MemberStore.Tables(table, memberFiles(table), table + "-suppression"),
        new BatchWriter(dynamo, retry), retry, settings.members().historyRetention(), Clock.systemUTC());
  }

  private static String memberFiles(String table) {
    return table + "-files";
  }

  /** A table with a single string hash key {@code id}. */
  static void createScratch(DynamoDbAsyncClient dynamo, String table) {
    Bootstrap.createTable(dynamo, Bootstrap.hashKeyLayout(table, "id"));
  }

  /** Drops a table (and a member store's files table) so its items do not weigh on the emulator later. */
  static void drop(DynamoDbAsyncClient dynamo, String table) {
    dropOne(dynamo, table);
    dropOne(dynamo, memberFiles(table));
  }

  private static void dropOne(DynamoDbAsyncClient dynamo, String table) {
    try {
      dynamo.deleteTable(b -> b.tableName(table)).join();
    } catch (CompletionException e) {
      if (!(e.getCause() instanceof ResourceNotFoundException)) throw e;
    }
  }
}
