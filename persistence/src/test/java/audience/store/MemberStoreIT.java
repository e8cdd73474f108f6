package audience.store;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.contract.Activity;
import audience.contract.ActivityType;
import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;
import audience.devstack.DevStack;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** One current item per member against the DynamoDB emulator: newest wins in any order, erasure, refusals. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemberStoreIT {
  private static final Instant T = Instant.parse("2026-11-01T10:00:00Z");
  private AwsClients aws;
  private MemberStore store;

  @BeforeAll
  void start() {
    Settings settings = TestNodes.settings(DevStack.shared(), Map.of());
    aws = AwsClients.create(settings.aws());
    new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
    store = MemberStore.of(aws.dynamo(), settings, Clock.systemUTC());
  }

  @AfterAll
  void stop() {
    if (aws != null) aws.close();
  }

  private static MemberProfile profile(String memberId, Instant lastActive, String suburb, List<Activity> activity) {
    return new MemberProfile(memberId, memberId + "@example.com", true, suburb, "2026", AuState.NSW, Intent.BUY,
        PropertyType.HOUSE, 3, 1_000_000, 2_000_000, lastActive, activity);
  }

  private static MemberStore.Snapshot snapshot(String memberId, Instant lastActive, String key) {
    return new MemberStore.Snapshot(profile(memberId, lastActive, "Bondi", List.of()), key, "run-1");
  }

  private String currentKey(String memberId) {
    return store.current(memberId).join().orElseThrow().get(MemberStore.SOURCE_KEY).s();
  }

  @Test
  void theNewestSnapshotWinsWhateverTheOrderAndRedoingChangesNothing() {
    Random random = new Random(7);
    for (int trial = 0; trial < 5; trial++) {
      String member = "m-order" + trial;
      List<MemberStore.Snapshot> snapshots = new ArrayList<>();
      for (int i = 0; i < 6; i++) snapshots.add(snapshot(member, T.plusSeconds(i), "k/" + trial + "/" + i + ".json"));
      // a tie on the newest instant: the greater key wins
      snapshots.add(snapshot(member, T.plusSeconds(5), "k/" + trial + "/9.json"));
      Collections.shuffle(snapshots, random);
      for (MemberStore.Snapshot s : snapshots) store.write(List.of(s)).join();
      store.write(snapshots.subList(0, 3)).join(); // a redone chunk
      assertThat(currentKey(member)).isEqualTo("k/" + trial + "/9.json");
    }
    // reading every current member: one item per member, whatever the number of snapshots written
    AtomicLong current = new AtomicLong();
    store.scanCurrent(MemberStore.MEMBER_ID, 2, item -> {
      if (item.get(MemberStore.MEMBER_ID).s().startsWith("m-order")) current.incrementAndGet();
    }).join();
    assertThat(current).hasValue(5);
  }

  @Test
  void eachSnapshotSaysWhetherItBecameCurrentAndEveryStoredFileIsRecorded() {
    assertThat(store.write(List.of(snapshot("m-said", T, "said/1.json"))).join())
        .singleElement().isInstanceOf(MemberStore.Written.Current.class);
    assertThat(store.write(List.of(snapshot("m-said", T.minusSeconds(60), "said/0.json"))).join())
        .singleElement().isInstanceOf(MemberStore.Written.Superseded.class);
    AtomicLong files = new AtomicLong();
    TableScan.scan(aws.dynamo(), store.tables().memberFiles(), null, 1, item -> {
      if (item.get(MemberStore.SOURCE_KEY).s().startsWith("said/")) {
        files.incrementAndGet();
        assertThat(item).containsKeys(MemberStore.MEMBER_ID, MemberStore.RUN_ID, MemberStore.EXPIRES_AT)
            .doesNotContainKey("email");
      }
    }).join();
    assertThat(files).hasValue(2);
  }

  @Test
  void anItemDynamoDbRefusesIsThatFilesRefusalNotAFailureOfTheBatch() {
    String huge = "l".repeat(MemberStore.MAX_ITEM_BYTES);
    MemberStore.Snapshot tooBig = new MemberStore.Snapshot(profile("m-big", T, "Bondi",
        List.of(new Activity(ActivityType.VIEW, huge, T))), "big/1.json", "run-1");
    List<MemberStore.Written> written = store.write(List.of(tooBig, snapshot("m-fine", T, "big/2.json"))).join();
    assertThat(written).filteredOn(w -> w instanceof MemberStore.Written.Refused).singleElement()
        .satisfies(w -> {
          assertThat(w.snapshot().sourceKey()).isEqualTo("big/1.json");
          assertThat(((MemberStore.Written.Refused) w).reason()).contains("ValidationException")
              .doesNotContain("@");
        });
    assertThat(store.current("m-fine").join()).isPresent();
    assertThat(store.current("m-big").join()).isEmpty();
  }

  @Test
  void aForgottenMemberIsDeletedAndSuppressed() {
    store.write(List.of(snapshot("m-forget", T, "forget/1.json"))).join();
    assertThat(store.suppressed("m-forget").join()).isFalse();
    assertThat(store.forget("m-forget").join()).isTrue();
    assertThat(store.current("m-forget").join()).isEmpty();
    assertThat(store.suppressed("m-forget").join()).isTrue();
    assertThat(store.forget("m-forget").join()).as("forgetting twice is harmless").isFalse();
    List<MemberStore.Written> later = store.write(List.of(snapshot("m-forget", T.plusSeconds(3600), "forget/2.json"),
        snapshot("m-forget", Instant.parse("2999-01-01T00:00:00Z"), "forget/3.json"))).join();
    assertThat(later).as("no later file brings an erased member back")
        .allMatch(w -> w instanceof MemberStore.Written.Superseded);
    assertThat(store.current("m-forget").join()).isEmpty();
    List<String> scanned = new java.util.concurrent.CopyOnWriteArrayList<>();
    store.scanCurrent(MemberStore.MEMBER_ID, 2, item -> scanned.add(item.get(MemberStore.MEMBER_ID).s())).join();
    assertThat(scanned).doesNotContain("m-forget");
    Map<String, AttributeValue> none = Map.of();
    assertThat(store.current("m-never").join().orElse(none)).isEmpty();
  }
}
