package audience.store;

import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The runs read model: one row per ingestion run, for listings and for finding unfinished runs after a
 * restart. Two entities write disjoint parts of a row, each guarded by its own version (the entity's
 * sequence number), so a replay or a late write never moves a row backwards.
 */
public final class RunStore implements RunReadModel {
  /** Written once, by the facade that starts a redrive run: not part of either entity's versioned part. */
  private static final String REDRIVE_OF = "redriveOf";
  private final DynamoDbAsyncClient dynamo;
  private final String table;

  public RunStore(DynamoDbAsyncClient dynamo, String table) {
    this.dynamo = dynamo;
    this.table = table;
  }

  /** What the run entity owns: the run's definition, its phase and its listing offset. */
  public record RunPart(String runId, String bucket, String prefix, long expectedFiles, RunPhase phase,
                        String offset, long listed, boolean listingDone, Instant startedAt, String stallReason) {}

  /** What the completion tracker owns: settled counts and completion. */
  public record TallyPart(String runId, long ingested, long quarantined, long settledChunks, boolean completed,
                          String warning, Instant completedAt, boolean notified) {}

  /** A whole row as read back; {@code redriveOf} is the run a redrive run redrives, "" for any other run. */
  public record Row(RunPart run, TallyPart tally, Instant updatedAt, String redriveOf) {
    public Row(RunPart run, TallyPart tally, Instant updatedAt) {
      this(run, tally, updatedAt, "");
    }

    /** The phase the run shows (see {@link RunPhase#shown}). */
    public RunPhase phase() {
      return RunPhase.shown(run.phase(), tally.completed());
    }
  }

  @Override
  public CompletableFuture<Void> write(RunPart c, long version) {
    Map<String, AttributeValue> v = new LinkedHashMap<>();
    v.put("bucket", s(c.bucket()));
    v.put("prefix", s(c.prefix()));
    v.put("expectedFiles", n(c.expectedFiles()));
    v.put("control", s(c.phase().wire()));
    v.put("offset", s(c.offset()));
    v.put("listed", n(c.listed()));
    v.put("listingDone", AttributeValue.fromBool(c.listingDone()));
    v.put("startedAt", s(c.startedAt().toString()));
    v.put("stallReason", s(c.stallReason()));
    return update(c.runId(), v, "controlVersion", version);
  }

  @Override
  public CompletableFuture<Void> write(TallyPart p, long version) {
    Map<String, AttributeValue> v = new LinkedHashMap<>();
    v.put("ingested", n(p.ingested()));
    v.put("quarantined", n(p.quarantined()));
    v.put("settledChunks", n(p.settledChunks()));
    v.put("completed", AttributeValue.fromBool(p.completed()));
    v.put("warning", s(p.warning()));
    v.put("completedAt", s(p.completedAt() == null ? "" : p.completedAt().toString()));
    v.put("notified", AttributeValue.fromBool(p.notified()));
    return update(p.runId(), v, "progressVersion", version);
  }

  @Override
  public CompletableFuture<Void> linkRedrive(String runId, String redriveOf) {
    return dynamo.updateItem(b -> b.tableName(table).key(Map.of("runId", s(runId)))
            .updateExpression("SET #r = :r").expressionAttributeNames(Map.of("#r", REDRIVE_OF))
            .expressionAttributeValues(Map.of(":r", s(redriveOf))))
        .thenApply(r -> null);
  }

  /**
   * SET every attribute (by placeholder names: several, like bucket, are reserved words) and the version,
   * on condition that the stored version is older.
   */
  private CompletableFuture<Void> update(String runId, Map<String, AttributeValue> attributes, String versionAttribute,
                                         long version) {
    Map<String, AttributeValue> values = new HashMap<>();
    Map<String, String> names = new HashMap<>();
    StringBuilder set = new StringBuilder("SET ");
    int i = 0;
    attributes.put("updatedAt", s(Instant.now().toString()));
    attributes.put(versionAttribute, n(version));
    for (var e : attributes.entrySet()) {
      if (i > 0) set.append(", ");
      set.append("#a").append(i).append(" = :a").append(i);
      names.put("#a" + i, e.getKey());
      values.put(":a" + i, e.getValue());
      i++;
    }
    names.put("#v", versionAttribute);
    values.put(":v", n(version));
    return dynamo.updateItem(b -> b.tableName(table).key(Map.of("runId", s(runId)))
            .updateExpression(set.toString())
            .conditionExpression("attribute_not_exists(#v) OR #v < :v")
            .expressionAttributeNames(names).expressionAttributeValues(values))
        .<Void>thenApply(r -> null)
        .exceptionally(e -> {
          Throwable cause = e instanceof CompletionException ? e.getCause() : e;
          if (cause instanceof ConditionalCheckFailedException) return null; // a newer version is already there
          throw e instanceof CompletionException ce ? ce : new CompletionException(cause);
        });
  }

  public CompletableFuture<Optional<Row>> get(String runId) {
    return dynamo.getItem(b -> b.tableName(table).key(Map.of("runId", s(runId))).consistentRead(true))
        .thenApply(r -> r.hasItem() && !r.item().isEmpty() ? Optional.of(fromItem(r.item())) : Optional.empty());
  }

  /** Every run, newest first. The runs table holds one row per run, so a scan stays small. */
  @Override
  public CompletableFuture<List<Row>> list() {
    List<Row> rows = Collections.synchronizedList(new ArrayList<>());
    return TableScan.scan(dynamo, table, null, 1, item -> rows.add(fromItem(item)))
        .thenApply(v -> rows.stream()
            .sorted((a, b) -> b.run().startedAt().compareTo(a.run().startedAt())).toList());
  }

  static Row fromItem(Map<String, AttributeValue> i) {
    String runId = i.get("runId").s();
    RunPart c = new RunPart(runId, str(i, "bucket"), str(i, "prefix"), num(i, "expectedFiles", -1),
        i.containsKey("control") ? RunPhase.fromWire(str(i, "control")) : RunPhase.NEW, str(i, "offset"),
        num(i, "listed", 0), bool(i, "listingDone"), instant(i, "startedAt"), str(i, "stallReason"));
    TallyPart p = new TallyPart(runId, num(i, "ingested", 0), num(i, "quarantined", 0), num(i, "settledChunks", 0),
        bool(i, "completed"), str(i, "warning"), instant(i, "completedAt"), bool(i, "notified"));
    return new Row(c, p, instant(i, "updatedAt"), str(i, REDRIVE_OF));
  }

  private static String str(Map<String, AttributeValue> i, String k) {
    return i.containsKey(k) ? i.get(k).s() : "";
  }

  private static long num(Map<String, AttributeValue> i, String k, long dflt) {
    return i.containsKey(k) ? Long.parseLong(i.get(k).n()) : dflt;
  }

  private static boolean bool(Map<String, AttributeValue> i, String k) {
    return i.containsKey(k) && Boolean.TRUE.equals(i.get(k).bool());
  }

  private static Instant instant(Map<String, AttributeValue> i, String k) {
    String v = str(i, k);
    return v.isEmpty() ? Instant.EPOCH : Instant.parse(v);
  }

  private static AttributeValue s(String v) {
    return AttributeValue.fromS(v == null ? "" : v);
  }

  private static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }
}
