package audience.bookings;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.bookings.AudienceExport.Audience;
import audience.config.Settings;
import audience.config.Settings.ExportSettings;
import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;
import audience.devstack.DevStack;
import audience.segments.Engagement;
import audience.segments.SegmentMetadata;
import audience.store.MemberStore;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The audience export against the devstack (dynalite, S3Proxy): members written through the member store, one
 * forgotten, one on the suppression list only, segment metadata in the segments bucket; the file read back from the
 * audiences bucket holds exactly the segment's opted-in, in-window, in-band, not-suppressed members, once each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AudienceExportIT {
  private static final Instant DATA_TIME = Instant.parse("2025-06-30T00:00:00Z");
  private static final Instant WINDOW_FROM = DATA_TIME.minus(Duration.ofDays(30));
  private static final long LOW = 500_000;
  private static final long HIGH = 750_000;
  /** Quoting and unicode all the way through S3. */
  private static final String SUBURB = "Bélair, \"Nörth\"";
  private static final String METADATA_KEY = "metadata/g-export/nsw~belair~buy~house~500000-750000.json";
  private static final int PLAIN_MEMBERS = 30;
  private static final long SMALL_PART = 1024;
  /** Snapshots per MemberStore.write (one BatchWriteItem of member-files rows). */
  private static final int WRITE_BATCH = 25;

  private AwsClients aws;
  private Settings settings;
  private MemberStore members;
  private final List<String> expected = new ArrayList<>();

  @BeforeAll
  void start() {
    settings = TestNodes.settings(DevStack.shared(), Map.of());
    aws = AwsClients.create(settings.aws());
    new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
    members = MemberStore.of(aws.dynamo(), settings, Clock.systemUTC());
    SegmentMetadata segment = new SegmentMetadata(SegmentMetadata.FORMAT_VERSION,
        "nsw~belair~buy~house~500000-750000", "NSW", SUBURB, "buy", "house", "500000-750000", LOW, HIGH,
        PLAIN_MEMBERS, List.of(), List.of(), Engagement.NONE, WINDOW_FROM, DATA_TIME, "g-export", "run-1", DATA_TIME);
    aws.s3().putObject(b -> b.bucket(settings.resources().segmentsBucket()).key(METADATA_KEY),
        AsyncRequestBody.fromBytes(segment.toJson())).join();

    List<MemberStore.Snapshot> snapshots = new ArrayList<>();
    for (int i = 0; i < PLAIN_MEMBERS; i++) {
      String id = String.format("in-%03d", i);
      snapshots.add(snapshot(id, id + "@example.com", true, SUBURB, AuState.NSW, Intent.BUY, PropertyType.HOUSE,
          LOW, HIGH, DATA_TIME.minusSeconds(i)));
      expected.add(id);
    }
    // the edges that count: both window bounds, a banding price exactly at the band's low
    snapshots.add(snapshot("edge-from", "o'neil, jr.@example.com", true, SUBURB, AuState.NSW, Intent.BUY,
        PropertyType.HOUSE, LOW, HIGH, WINDOW_FROM));
    snapshots.add(snapshot("edge-to", "\"quoted\"@example.com", true, SUBURB, AuState.NSW, Intent.BUY,
        PropertyType.HOUSE, LOW, HIGH, DATA_TIME));
    snapshots.add(snapshot("edge-low", "zoë@例え.jp", true, SUBURB, AuState.NSW, Intent.BUY, PropertyType.HOUSE,
        250_000, 750_001, DATA_TIME)); // midpoint 500,000
    expected.addAll(List.of("edge-from", "edge-to", "edge-low"));
    // those that do not
    snapshots.add(snapshot("out-optout", "x@example.com", false, SUBURB, AuState.NSW, Intent.BUY, PropertyType.HOUSE,
        LOW, HIGH, DATA_TIME));
    snapshots.add(snapshot("out-before", "x@example.com", true, SUBURB, AuState.NSW, Intent.BUY, PropertyType.HOUSE,
        LOW, HIGH, WINDOW_FROM.minusMillis(1)));
    snapshots.add(snapshot("out-after", "x@example.com", true, SUBURB, AuState.NSW, Intent.BUY, PropertyType.HOUSE,
        LOW, HIGH, DATA_TIME.plusMillis(1)));
    snapshots.add(snapshot("out-high", "x@example.com", true, SUBURB, AuState.NSW, Intent.BUY, PropertyType.HOUSE,
        HIGH, HIGH, DATA_TIME)); // midpoint 750,000: the next band
    snapshots.add(snapshot("out-suburb", "x@example.com", true, "Bélair, \"North\"", AuState.NSW, Intent.BUY,
        PropertyType.HOUSE, LOW, HIGH, DATA_TIME));
    snapshots.add(snapshot("out-state", "x@example.com", true, SUBURB, AuState.VIC, Intent.BUY, PropertyType.HOUSE,
        LOW, HIGH, DATA_TIME));
    snapshots.add(snapshot("out-intent", "x@example.com", true, SUBURB, AuState.NSW, Intent.SELL, PropertyType.HOUSE,
        LOW, HIGH, DATA_TIME));
    snapshots.add(snapshot("out-type", "x@example.com", true, SUBURB, AuState.NSW, Intent.BUY, PropertyType.APARTMENT,
        LOW, HIGH, DATA_TIME));
    snapshots.add(snapshot("out-forgotten", "x@example.com", true, SUBURB, AuState.NSW, Intent.BUY,
        PropertyType.HOUSE, LOW, HIGH, DATA_TIME));
    snapshots.add(snapshot("out-suppressed", "x@example.com", true, SUBURB, AuState.NSW, Intent.BUY,
        PropertyType.HOUSE, LOW, HIGH, DATA_TIME));
    for (int from = 0; from < snapshots.size(); from += WRITE_BATCH) {
      assertThat(members.write(snapshots.subList(from, Math.min(from + WRITE_BATCH, snapshots.size()))).join())
          .allMatch(w -> w instanceof MemberStore.Written.Current);
    }
    assertThat(members.forget("out-forgotten").join()).isTrue();
    // on the suppression list only: its profile is still current (an erasure that crashed half way)
    aws.dynamo().putItem(b -> b.tableName(settings.resources().suppressionTable()).item(Map.of(
        MemberStore.MEMBER_ID, AttributeValue.fromS("out-suppressed"),
        MemberStore.FORGOTTEN_AT, AttributeValue.fromS(DATA_TIME.toString())))).join();
    assertThat(members.current("out-suppressed").join()).isPresent();
  }

  @AfterAll
  void stop() {
    if (aws != null) aws.close();
  }

  private static MemberStore.Snapshot snapshot(String id, String email, boolean optIn, String suburb, AuState state,
                                               Intent intent, PropertyType type, long priceMin, long priceMax,
                                               Instant lastActive) {
    return new MemberStore.Snapshot(new MemberProfile(id, email, optIn, suburb, "2000", state, intent, type, 2,
        priceMin, priceMax, lastActive, List.of()), "k/" + id + ".json", "run-1");
  }

  private record Read(byte[] bytes, GetObjectResponse response) {}

  private Read read(String key) {
    var r = aws.s3().getObject(b -> b.bucket(settings.resources().audiencesBucket()).key(key),
        AsyncResponseTransformer.toBytes()).join();
    return new Read(r.asByteArray(), r.response());
  }

  @Test
  void theFileHoldsExactlyTheSegmentsOptedInInWindowInBandNotSuppressedMembersOnce() throws Exception {
    AudienceExport export = AudienceExport.of(aws.s3(), members, settings);
    Audience audience = export.write("b-exact", METADATA_KEY).toCompletableFuture().join();

    assertThat(audience.key()).isEqualTo("audiences/b-exact.csv");
    Read file = read(audience.key());
    List<List<String>> records = Rfc4180.parse(new String(file.bytes(), StandardCharsets.UTF_8));
    assertThat(records.get(0)).containsExactlyElementsOf(AudienceCsv.COLUMNS);
    List<List<String>> rows = records.subList(1, records.size());
    assertThat(rows).extracting(r -> r.get(0)).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(audience.members()).isEqualTo(expected.size());
    assertThat(audience.bytes()).isEqualTo(file.bytes().length);
    assertThat(audience.checksum()).isEqualTo(sha256(file.bytes()));
    Map<String, List<String>> byId = rows.stream().collect(Collectors.toMap(r -> r.get(0), r -> r));
    assertThat(byId.get("edge-from")).containsExactly("edge-from", "o'neil, jr.@example.com", SUBURB, "NSW", "2000",
        "buy", "house", "2", WINDOW_FROM.toString());
    assertThat(byId.get("edge-to").get(1)).isEqualTo("\"quoted\"@example.com");
    assertThat(byId.get("edge-low").get(1)).isEqualTo("zoë@例え.jp");
    assertThat(file.response().contentType()).startsWith("text/csv");
  }

  @Test
  void writingAgainReplacesTheFileWithTheSameBytesAndAFailedUploadIsAbortedLeavingItAsItWas() {
    AudienceExport export = AudienceExport.of(aws.s3(), members, settings);
    Audience first = export.write("b-again", METADATA_KEY).toCompletableFuture().join();
    Read before = read(first.key());
    assertThat(before.response().serverSideEncryption()).as("SSE-S3, as S3Proxy echoes it")
        .isEqualTo(ServerSideEncryption.AES256);
    assertThat(export.write("b-again", METADATA_KEY).toCompletableFuture().join()).isEqualTo(first);
    assertThat(read(first.key()).bytes()).isEqualTo(before.bytes());

    // S3Proxy, like S3, refuses parts under 5 MiB (the last excepted) when the upload is completed
    AudienceExport smallParts = AudienceExport.of(aws.s3(), members, settings, new ExportSettings(SMALL_PART));
    assertThatThrownBy(() -> smallParts.write("b-again", METADATA_KEY).toCompletableFuture().join())
        .hasRootCauseInstanceOf(S3Exception.class);
    assertThat(read(first.key()).bytes()).as("the file as it was").isEqualTo(before.bytes());
    assertThat(aws.s3().listMultipartUploads(b -> b.bucket(settings.resources().audiencesBucket())
        .prefix(first.key())).join().uploads()).as("aborted, none left").isEmpty();
    assertThat(aws.s3().listObjectsV2(b -> b.bucket(settings.resources().audiencesBucket())
        .prefix("audiences/b-again")).join().contents()).hasSize(1);
  }

  @Test
  void theSuppressionListIsReadAHundredKeysACallWhateverTheNumberAsked() {
    Set<String> suppressed = IntStream.range(0, 150).mapToObj(i -> "sup-" + i).collect(Collectors.toSet());
    for (String id : suppressed) {
      aws.dynamo().putItem(b -> b.tableName(settings.resources().suppressionTable()).item(Map.of(
          MemberStore.MEMBER_ID, AttributeValue.fromS(id)))).join();
    }
    List<String> asked = IntStream.range(0, 320).mapToObj(i -> i % 2 == 0 ? "sup-" + i / 2 : "free-" + i).toList();
    assertThat(members.suppressedAmong(asked).join()).isEqualTo(suppressed);
    assertThat(members.suppressedAmong(List.of()).join()).isEmpty();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** A reader of RFC 4180 CSV (quoted fields, doubled quotes, CRLF records), to read the file back independently. */
  static final class Rfc4180 {
    static List<List<String>> parse(String text) {
      List<List<String>> records = new ArrayList<>();
      List<String> record = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (quoted) {
          if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else if (c == '"') {
            quoted = false;
          } else {
            field.append(c);
          }
        } else if (c == '"') {
          quoted = true;
        } else if (c == ',') {
          record.add(field.toString());
          field.setLength(0);
        } else if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
          record.add(field.toString());
          field.setLength(0);
          records.add(record);
          record = new ArrayList<>();
          i++;
        } else {
          field.append(c);
        }
      }
      assertThat(record).as("the file ends with CRLF").isEmpty();
      return records;
    }
  }
}
