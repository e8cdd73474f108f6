package audience.store;

import audience.aws.AwsClients;
import audience.aws.Bootstrap;
import audience.config.Settings;
import audience.devstack.DevStack;
import audience.store.BookingStore.BookingRow;
import audience.testkit.TestNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The bookings read model against the DynamoDB emulator: versions never go back; listing by status and segment. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BookingStoreIT {
  private static final Instant T = Instant.parse("2026-11-01T10:00:00Z");
  private static final LocalDate SEND = LocalDate.parse("2026-11-20");
  private static final String[] STATUSES = {"requested", "exporting", "exported", "importing", "done"};
  private AwsClients aws;
  private BookingStore store;

  @BeforeAll
  void start() {
    Settings settings = TestNodes.settings(DevStack.shared(), Map.of());
    aws = AwsClients.create(settings.aws());
    new Bootstrap(aws, settings.resources(), settings.segments().stream()).run();
    store = new BookingStore(aws.dynamo(), settings.resources().bookingsTable(), settings.ingestion().retry());
  }

  @AfterAll
  void stop() {
    if (aws != null) aws.close();
  }

  /** Booking {@code id} of {@code segment} as its entity shows it after event {@code version}. */
  private static BookingRow row(String id, String segment, int version) {
    String status = STATUSES[Math.min(version - 1, STATUSES.length - 1)];
    boolean exported = version >= 3;
    return new BookingRow(id, segment, "spring-" + id, SEND, "ops@agency", status, T, T.plusSeconds(version),
        version, version == 2 ? "S3 throttled" : "", exported ? "audiences/" + id + ".csv" : "",
        exported ? 42 : 0, version >= 4 ? "job-" + id : "", version >= 5 ? 40 : 0, version >= 5 ? 2 : 0, version);
  }

  @Test
  void aRowIsReplacedOnlyByANewerVersionWhateverTheOrderOfWrites() {
    Random random = new Random(11);
    for (int trial = 0; trial < 4; trial++) {
      String id = "b-order-" + trial;
      List<Integer> versions = new ArrayList<>(List.of(1, 2, 3, 4, 5, 3, 1));
      Collections.shuffle(versions, random);
      int newest = 0;
      for (int v : versions) {
        boolean written = store.write(row(id, "seg-a", v)).join();
        assertThat(written).as("version %s after %s", v, newest).isEqualTo(v > newest);
        newest = Math.max(newest, v);
        assertThat(store.get(id).join()).contains(row(id, "seg-a", newest));
      }
    }
    assertThat(store.get("b-none").join()).isEmpty();
  }

  @Test
  void aRowReadBackIsTheRowWritten() {
    BookingRow row = new BookingRow("b-read", "nsw~bondi-1a2b3c4d~buy~house~0-500000", "", SEND, "", "requested", T,
        T, 0, null, null, 0, null, 0, 0, 1);
    assertThat(store.write(row).join()).isTrue();
    assertThat(store.get("b-read").join()).contains(row);
    assertThat(row.lastError()).isEmpty();
  }

  @Test
  void listingByStatusAndBySegmentShowsEachBookingsNewestStateOnly() {
    for (int i = 0; i < 6; i++) {
      String id = "b-list-" + i;
      String segment = i % 2 == 0 ? "seg-list-even" : "seg-list-odd";
      int newest = 1 + i % STATUSES.length;
      for (int v = newest; v >= 1; v--) store.write(row(id, segment, v)).join(); // late, older writes too
    }
    List<BookingRow> even = store.list(Optional.empty(), Optional.of("seg-list-even")).join();
    assertThat(even).extracting(BookingRow::bookingId).containsExactly("b-list-0", "b-list-2", "b-list-4");
    assertThat(even).extracting(BookingRow::version).containsExactly(1L, 3L, 5L);
    assertThat(store.list(Optional.of("requested"), Optional.empty()).join())
        .extracting(BookingRow::bookingId).contains("b-list-0", "b-list-5")
        .doesNotContain("b-list-1", "b-list-2", "b-list-3", "b-list-4");
    assertThat(store.list(Optional.of("done"), Optional.of("seg-list-even")).join())
        .extracting(BookingRow::bookingId).containsExactly("b-list-4");
    assertThat(store.list(Optional.of("exported"), Optional.of("seg-list-even")).join())
        .extracting(BookingRow::bookingId).containsExactly("b-list-2");
    assertThat(store.list(Optional.of("exported"), Optional.of("seg-list-odd")).join()).isEmpty();
    assertThat(store.list(Optional.of("exporting"), Optional.of("seg-list-odd")).join())
        .extracting(BookingRow::bookingId).containsExactly("b-list-1");
    assertThat(store.list(Optional.empty(), Optional.empty()).join())
        .extracting(BookingRow::bookingId).contains("b-list-0", "b-list-5");
  }
}
