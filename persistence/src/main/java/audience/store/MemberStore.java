package audience.store;

import audience.contract.Activity;
import audience.contract.MemberProfile;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The members table. One item per member snapshot: hash key memberId, range key lastActive (epoch millis),
 * so concurrent writers never overwrite a newer snapshot with an older one, whatever the processing order;
 * the member's current profile is the item with the greatest lastActive ({@link #newest}).
 * Each item remembers the file it came from ({@code sourceKey}) so a run can be checked against its listing.
 */
public final class MemberStore {
  public static final String MEMBER_ID = "memberId";
  public static final String LAST_ACTIVE = "lastActive";
  public static final String SOURCE_KEY = "sourceKey";
  public static final String RUN_ID = "runId";

  private final DynamoDbAsyncClient dynamo;
  private final String table;
  private final BatchWriter writer;

  public MemberStore(DynamoDbAsyncClient dynamo, String table, BatchWriter writer) {
    this.dynamo = dynamo;
    this.table = table;
    this.writer = writer;
  }

  public String table() {
    return table;
  }

  /** A parsed member with where it came from. */
  public record Snapshot(MemberProfile profile, String sourceKey, String runId) {}

  /** Writes up to 25 snapshots in one BatchWriteItem (with retries). Repeating a write is harmless. */
  public CompletableFuture<Void> write(List<Snapshot> snapshots) {
    return writer.put(table, snapshots.stream().map(MemberStore::toItem).toList(),
        item -> item.get(MEMBER_ID).s() + "\u0000" + item.get(LAST_ACTIVE).n());
  }

  /** DynamoDB's item size limit. */
  public static final int MAX_ITEM_BYTES = 400 * 1024;
  private static final int FIXED_FIELDS_BYTES = 512;
  private static final int ACTIVITY_OVERHEAD_BYTES = 64;

  /** An upper estimate of the stored item's size: a valid file larger than DynamoDB allows must be refused, not retried. */
  public static long estimatedItemBytes(MemberProfile p, String sourceKey) {
    long bytes = FIXED_FIELDS_BYTES + p.email().length() + p.suburb().length() + sourceKey.length();
    for (Activity a : p.activity()) bytes += ACTIVITY_OVERHEAD_BYTES + a.listingId().length();
    return bytes;
  }

  /** The member's newest snapshot, if any. */
  public CompletableFuture<Optional<Map<String, AttributeValue>>> newest(String memberId) {
    return dynamo.query(b -> b.tableName(table)
            .keyConditionExpression("memberId = :m")
            .expressionAttributeValues(Map.of(":m", s(memberId)))
            .scanIndexForward(false).limit(1))
        .thenApply(r -> r.items().stream().findFirst());
  }

  /** The item a snapshot is stored as. */
  public static Map<String, AttributeValue> toItem(Snapshot snapshot) {
    MemberProfile p = snapshot.profile();
    Map<String, AttributeValue> item = new HashMap<>(24);
    item.put(MEMBER_ID, s(p.memberId()));
    item.put(LAST_ACTIVE, n(p.lastActive().toEpochMilli()));
    item.put("lastActiveAt", s(p.lastActive().toString()));
    item.put("email", s(p.email()));
    item.put("optIn", AttributeValue.fromBool(p.optIn()));
    item.put("suburb", s(p.suburb()));
    item.put("postcode", s(p.postcode()));
    item.put("state", s(p.state().wire()));
    item.put("intent", s(p.intent().wire()));
    item.put("propertyType", s(p.propertyType().wire()));
    item.put("bedrooms", n(p.bedrooms()));
    item.put("priceMin", n(p.priceMin()));
    item.put("priceMax", n(p.priceMax()));
    if (!p.activity().isEmpty()) {
      item.put("activity", AttributeValue.fromL(p.activity().stream().map(MemberStore::activity).toList()));
    }
    item.put(SOURCE_KEY, s(snapshot.sourceKey()));
    item.put(RUN_ID, s(snapshot.runId()));
    return item;
  }

  private static AttributeValue activity(Activity a) {
    return AttributeValue.fromM(Map.of(
        "type", s(a.type().wire()),
        "listingId", s(a.listingId()),
        "at", s(a.at().toString())));
  }

  static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }
}
