package audience.store;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.devstack.DevStack;
import audience.store.SegmentStore.Filter;
import audience.store.SegmentStore.SegmentRow;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The segments read model against the DynamoDB emulator: counts, listing with filters, retirement that sticks. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SegmentStoreIT {
  private static final Instant T = Instant.parse("2026-11-01T10:00:00Z");
  private static final int ROWS = 1_100; // more than two Query pages
  private AwsClients aws;
  private SegmentStore store;

  @BeforeAll
  void start() {
    Settings settings = TestNodes.settings(DevStack.shared(), Map.of());
    aws = AwsClients.create(settings.aws());
    new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
    store = new SegmentStore(aws.dynamo(), settings.resources().segmentsTable(), settings.ingestion().retry());
  }

  @AfterAll
  void stop() {
    if (aws != null) aws.close();
  }

  private static SegmentRow row(String generation, int i) {
    return new SegmentRow(generation, String.format("nsw~s%04d~buy~house~0-500000", i), i % 2 == 0 ? "NSW" : "VIC",
        "Suburb " + (i % 7), i % 3 == 0 ? "rent" : "buy", "house", "0-500000", 10 + i,
        "metadata/" + generation + "/" + i + ".json", "c" + i, 100 + i, "run-1", T, SegmentStore.ACTIVE);
  }

  @Test
  void rowsAreCountedListedAndFilteredAcrossPages() {
    String g = "g-pages";
    IntStream.range(0, ROWS).parallel().forEach(i -> store.put(row(g, i)).join());
    store.put(row(g, 5)).join(); // a consumer's redo: still one row
    assertThat(store.count(g).join()).isEqualTo(ROWS);
    assertThat(store.count("g-none").join()).isZero();
    List<SegmentRow> all = store.list(g, Filter.ALL).join();
    assertThat(all).hasSize(ROWS).isSortedAccordingTo(java.util.Comparator.comparing(SegmentRow::segmentId));
    assertThat(all.get(3)).isEqualTo(row(g, 3));
    List<SegmentRow> some = store.list(g, new Filter("nsw", "suburb 3", "BUY", null, 500)).join();
    assertThat(some).isNotEmpty().allSatisfy(r -> {
      assertThat(r.state()).isEqualTo("NSW");
      assertThat(r.suburb()).isEqualTo("Suburb 3");
      assertThat(r.intent()).isEqualTo("buy");
      assertThat(r.audience()).isGreaterThanOrEqualTo(500);
    });
    assertThat(some).hasSize((int) IntStream.range(0, ROWS)
        .filter(i -> i % 2 == 0 && i % 7 == 3 && i % 3 != 0 && 10 + i >= 500).count());
  }

  @Test
  void aRetiredGenerationStaysRetiredWhateverALateConsumerWrites() {
    String g = "g-old";
    IntStream.range(0, 3).forEach(i -> store.put(row(g, i)).join());
    assertThat(store.retire(g).join()).isEqualTo(3);
    assertThat(store.retire(g).join()).as("idempotent").isEqualTo(3);
    store.put(row(g, 1)).join(); // a consumer redoing its batch after the retirement
    assertThat(store.list(g, Filter.ALL).join()).hasSize(3).noneMatch(SegmentRow::active);
    assertThat(store.get(g, row(g, 1).segmentId()).join()).get().extracting(SegmentRow::status)
        .isEqualTo(SegmentStore.RETIRED);
    assertThat(store.get(g, "missing").join()).isEmpty();
  }

  @Test
  void generationRowsSayWhereEachGenerationStandsAndStayOutOfSegmentListings() {
    store.putGeneration(new SegmentStore.GenerationRow("g-a", "run-a", "scanning", 0, "", T)).join();
    store.putGeneration(new SegmentStore.GenerationRow("g-b", "run-b", "completed", 4, "manifest/g-b.json",
        T.plusSeconds(5))).join();
    store.putGeneration(new SegmentStore.GenerationRow("g-a", "run-a", "publishing", 3, "", T.plusSeconds(1))).join();
    assertThat(store.generations().join()).extracting(SegmentStore.GenerationRow::generationId,
        SegmentStore.GenerationRow::phase).containsExactly(
        org.assertj.core.groups.Tuple.tuple("g-b", "completed"), org.assertj.core.groups.Tuple.tuple("g-a", "publishing"));
    assertThat(store.count("g-a").join()).as("no segment rows").isZero();
  }
}
