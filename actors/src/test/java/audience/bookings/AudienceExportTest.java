package audience.bookings;

import audience.config.Settings.ExportSettings;
import audience.segments.Engagement;
import audience.segments.SegmentMetadata;
import audience.store.MemberStore.ScanFilter;
import audience.store.MemberStore.ScanPage;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The export's streaming with a fake scanner, suppression list and uploader: parts cut at the part size, memory
 * bounded by a part and a record, suppressed and out-of-band members left out, failures aborting the upload.
 */
class AudienceExportTest {
  private static final Instant DATA_TIME = Instant.parse("2025-06-30T00:00:00Z");
  private static final Instant WINDOW_FROM = Instant.parse("2025-05-31T00:00:00Z");
  private static final long LOW = 500_000;
  private static final long HIGH = 750_000;
  private static final int PAGE = 1_000;
  private static final long PART = 64 * 1024;
  private static final SegmentMetadata SEGMENT = new SegmentMetadata(SegmentMetadata.FORMAT_VERSION,
      "nsw~bondi-1a2b3c4d~buy~house~500000-750000", "NSW", "Bondi", "buy", "house", "500000-750000", LOW, HIGH, 0,
      List.of(), List.of(), Engagement.NONE, WINDOW_FROM, DATA_TIME, "g-test", "run-1", DATA_TIME);

  /** Member {@code i}'s item, as the members table's scan (already filtered by DynamoDB) would give it. */
  private static Map<String, AttributeValue> item(int i, long priceMin, long priceMax) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("memberId", AttributeValue.fromS(String.format("m-%07d", i)));
    m.put("email", AttributeValue.fromS("member" + i + "@example.com"));
    m.put("suburb", AttributeValue.fromS("Bondi"));
    m.put("state", AttributeValue.fromS("NSW"));
    m.put("postcode", AttributeValue.fromS("2026"));
    m.put("intent", AttributeValue.fromS("buy"));
    m.put("propertyType", AttributeValue.fromS("house"));
    m.put("bedrooms", AttributeValue.fromN(Integer.toString(i % 11)));
    m.put("lastActive", AttributeValue.fromN(Long.toString(DATA_TIME.toEpochMilli() - i)));
    m.put("priceMin", AttributeValue.fromN(Long.toString(priceMin)));
    m.put("priceMax", AttributeValue.fromN(Long.toString(priceMax)));
    return m;
  }

  private static Map<String, AttributeValue> inBand(int i) {
    return item(i, LOW, HIGH); // midpoint 625,000
  }

  /** A scanner of {@code total} items, made page by page as asked: it never holds more than one page. */
  private static final class FakeScanner implements AudienceExport.MemberPages {
    final int total;
    final java.util.function.IntFunction<Map<String, AttributeValue>> items;
    final AtomicInteger pagesServed = new AtomicInteger();
    int failOnPage = -1;
    ScanFilter lastFilter;

    FakeScanner(int total, java.util.function.IntFunction<Map<String, AttributeValue>> items) {
      this.total = total;
      this.items = items;
    }

    @Override
    public CompletionStage<ScanPage> page(ScanFilter filter, Map<String, AttributeValue> start) {
      lastFilter = filter;
      int from = start == null ? 0 : Integer.parseInt(start.get("at").n());
      int page = pagesServed.getAndIncrement();
      if (page == failOnPage) return CompletableFuture.failedFuture(new IllegalStateException("scan failed"));
      int to = Math.min(from + PAGE, total);
      List<Map<String, AttributeValue>> list = IntStream.range(from, to).mapToObj(items).toList();
      return CompletableFuture.completedFuture(new ScanPage(list,
          to < total ? Map.of("at", AttributeValue.fromN(Integer.toString(to))) : null));
    }
  }

  /** An uploader that hashes and counts every part, keeping the bytes only when asked. */
  private static final class FakeUploads implements MultipartUploads {
    final boolean keep;
    final List<Integer> partSizes = new ArrayList<>();
    final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    final MessageDigest digest;
    String key;
    int completed;
    int aborted;
    int expectedPart = 1;
    boolean async;

    FakeUploads(boolean keep) throws Exception {
      this.keep = keep;
      this.digest = MessageDigest.getInstance("SHA-256");
    }

    @Override
    public CompletionStage<Upload> start(String key) {
      this.key = key;
      return CompletableFuture.completedFuture(new Upload() {
        @Override
        public CompletionStage<Void> part(int number, ByteBuffer bytes) {
          assertThat(number).as("parts in order").isEqualTo(expectedPart++);
          byte[] b = new byte[bytes.remaining()];
          bytes.duplicate().get(b);
          partSizes.add(b.length);
          digest.update(b);
          if (keep) kept.writeBytes(b);
          return async ? CompletableFuture.runAsync(() -> { }) : CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> complete() {
          completed++;
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> abort() {
          aborted++;
          return CompletableFuture.completedFuture(null);
        }
      });
    }

    String sha256() {
      return HexFormat.of().formatHex(digest.digest());
    }
  }

  private static AudienceExport export(FakeScanner scanner, Set<String> suppressed, FakeUploads uploads, long part,
                                       AtomicInteger suppressionCalls) {
    AudienceExport.SuppressionList list = (Collection<String> ids) -> {
      suppressionCalls.incrementAndGet();
      return CompletableFuture.completedFuture(ids.stream().filter(suppressed::contains).collect(Collectors.toSet()));
    };
    return new AudienceExport(key -> CompletableFuture.completedFuture(SEGMENT), scanner, list, uploads,
        new ExportSettings(part));
  }

  @Test
  void twoHundredThousandMembersStreamThroughAPartAtATime() throws Exception {
    int total = 200_000;
    FakeScanner scanner = new FakeScanner(total, AudienceExportTest::inBand);
    FakeUploads uploads = new FakeUploads(false);
    AudienceExport export = export(scanner, Set.of(), uploads, PART, new AtomicInteger());
    AudienceExport.Audience audience = export.write("b-big", "metadata/g-test/seg.json").toCompletableFuture().join();

    assertThat(audience.members()).isEqualTo(total);
    assertThat(audience.key()).isEqualTo("audiences/b-big.csv");
    assertThat(scanner.pagesServed).hasValue(total / PAGE);
    assertThat(audience.checksum()).isEqualTo(uploads.sha256());
    assertThat(audience.bytes()).isEqualTo(uploads.partSizes.stream().mapToLong(Integer::longValue).sum());
    int longestRecord = IntStream.range(0, total)
        .map(i -> AudienceCsv.row(AudienceMember.fromItem(inBand(i))).length).max().orElseThrow();
    List<Integer> sizes = uploads.partSizes;
    assertThat(sizes).hasSizeGreaterThan((int) (audience.bytes() / (PART + longestRecord)));
    assertThat(sizes.subList(0, sizes.size() - 1)).allSatisfy(s ->
        assertThat(s).isGreaterThanOrEqualTo((int) PART).isLessThan((int) PART + longestRecord));
    assertThat(sizes.get(sizes.size() - 1)).isPositive().isLessThan((int) PART + longestRecord);
    assertThat(uploads.completed).isOne();
    assertThat(uploads.aborted).isZero();
    // a part is the buffer as it was flushed: the most it ever held
    assertThat(sizes.stream().max(Integer::compare).orElseThrow()).isLessThan((int) PART + longestRecord);
  }

  @Test
  void theFileBufferNeverHoldsMoreThanAPartAndARecord() throws Exception {
    FakeUploads uploads = new FakeUploads(false);
    MultipartUploads.Upload upload = uploads.start("k").toCompletableFuture().join();
    AudienceFile file = new AudienceFile(upload, PART, ExportSettings.MAX_PARTS);
    int longest = 0;
    for (int i = 0; i < 50_000; i++) {
      byte[] record = AudienceCsv.row(AudienceMember.fromItem(inBand(i)));
      longest = Math.max(longest, record.length);
      file.append(record).toCompletableFuture().join();
    }
    AudienceFile.Written written = file.close().toCompletableFuture().join();
    assertThat(file.maxBuffered()).isGreaterThanOrEqualTo((int) PART).isLessThan((int) PART + longest);
    assertThat(written.parts()).isEqualTo(uploads.partSizes.size()).isGreaterThan(1);
    assertThat(written.records()).isEqualTo(50_000);
  }

  @Test
  void theFileHoldsExactlyTheInBandNotSuppressedMembersOnceInScanOrder() throws Exception {
    int total = 2_500;
    // every 7th outside the band (midpoint 750,000 = the band's high, excluded), every 5th suppressed
    FakeScanner scanner = new FakeScanner(total, i -> i % 7 == 0 ? item(i, 700_000, 800_000)
        : i % 13 == 0 ? item(i, 250_000, 750_000) /* midpoint 500,000 = low, included */ : inBand(i));
    Set<String> suppressed = IntStream.range(0, total).filter(i -> i % 5 == 0)
        .mapToObj(i -> String.format("m-%07d", i)).collect(Collectors.toSet());
    FakeUploads uploads = new FakeUploads(true);
    AtomicInteger suppressionCalls = new AtomicInteger();
    AudienceExport.Audience audience = export(scanner, suppressed, uploads, 4 * 1024, suppressionCalls)
        .write("b-exact", SEGMENT).toCompletableFuture().join();

    List<String> lines = List.of(uploads.kept.toString(StandardCharsets.UTF_8).split("\r\n"));
    List<String> expected = IntStream.range(0, total).filter(i -> i % 7 != 0 && i % 5 != 0)
        .mapToObj(i -> String.format("m-%07d", i)).toList();
    assertThat(lines.get(0)).isEqualTo(String.join(",", AudienceCsv.COLUMNS));
    assertThat(lines.subList(1, lines.size())).extracting(l -> l.substring(0, l.indexOf(',')))
        .containsExactlyElementsOf(expected);
    assertThat(audience.members()).isEqualTo(expected.size());
    assertThat(audience.bytes()).isEqualTo(uploads.kept.size());
    assertThat(audience.checksum()).isEqualTo(HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(uploads.kept.toByteArray())));
    assertThat(suppressionCalls).hasValue(scanner.pagesServed.get());
    assertThat(scanner.lastFilter.expression()).contains("#la BETWEEN :from AND :to").contains("#opt = :yes");
    assertThat(scanner.lastFilter.values().get(":from").n()).isEqualTo(Long.toString(WINDOW_FROM.toEpochMilli()));
    assertThat(scanner.lastFilter.values().get(":to").n()).isEqualTo(Long.toString(DATA_TIME.toEpochMilli()));
  }

  @Test
  void anEmptyAudienceIsTheHeaderAloneInOnePart() throws Exception {
    FakeUploads uploads = new FakeUploads(true);
    AudienceExport.Audience audience = export(new FakeScanner(0, AudienceExportTest::inBand), Set.of(), uploads, PART,
        new AtomicInteger()).write("b-empty", SEGMENT).toCompletableFuture().join();
    assertThat(audience.members()).isZero();
    assertThat(uploads.partSizes).hasSize(1);
    assertThat(uploads.kept.toByteArray()).isEqualTo(AudienceCsv.header());
  }

  @Test
  void writingTheSameBookingAgainWritesTheSameBytesUnderTheSameKey() throws Exception {
    FakeUploads first = new FakeUploads(true);
    FakeUploads second = new FakeUploads(true);
    second.async = true; // parts acknowledged on another thread: the same file
    AudienceExport.Audience a = export(new FakeScanner(3_000, AudienceExportTest::inBand), Set.of(), first, 8 * 1024,
        new AtomicInteger()).write("b-again", SEGMENT).toCompletableFuture().join();
    AudienceExport.Audience b = export(new FakeScanner(3_000, AudienceExportTest::inBand), Set.of(), second, 8 * 1024,
        new AtomicInteger()).write("b-again", SEGMENT).toCompletableFuture().join();
    assertThat(b).isEqualTo(a);
    assertThat(second.key).isEqualTo(first.key).isEqualTo("audiences/b-again.csv");
    assertThat(second.kept.toByteArray()).isEqualTo(first.kept.toByteArray());
  }

  @Test
  void aFailureMidwayAbortsTheUploadAndNeverCompletesIt() throws Exception {
    FakeScanner scanner = new FakeScanner(10_000, AudienceExportTest::inBand);
    scanner.failOnPage = 4;
    FakeUploads uploads = new FakeUploads(false);
    assertThatThrownBy(() -> export(scanner, Set.of(), uploads, 8 * 1024, new AtomicInteger())
        .write("b-fail", SEGMENT).toCompletableFuture().join()).hasRootCauseMessage("scan failed");
    assertThat(uploads.aborted).isOne();
    assertThat(uploads.completed).isZero();
    assertThat(uploads.partSizes).isNotEmpty(); // it failed after some parts went
  }

  @Test
  void anAudienceNeedingMorePartsThanS3AllowsFailsNamingTheKeyAndAborts() throws Exception {
    FakeUploads uploads = new FakeUploads(false);
    // a one-byte part size: every record is a part of its own, the header included
    assertThatThrownBy(() -> export(new FakeScanner(ExportSettings.MAX_PARTS, AudienceExportTest::inBand), Set.of(),
        uploads, 1, new AtomicInteger()).write("b-parts", SEGMENT).toCompletableFuture().join())
        .hasMessageContaining("audience.bookings.export.part-size");
    assertThat(uploads.partSizes).hasSize(ExportSettings.MAX_PARTS);
    assertThat(uploads.aborted).isOne();
    assertThat(uploads.completed).isZero();
  }

  @Test
  void aBookingIdThatIsNoSafeKeyIsRefusedBeforeAnything() throws Exception {
    FakeUploads uploads = new FakeUploads(false);
    AudienceExport export = export(new FakeScanner(1, AudienceExportTest::inBand), Set.of(), uploads, PART,
        new AtomicInteger());
    for (String bad : List.of("", "../x", "a/b", ".hidden", "x".repeat(201))) {
      assertThatThrownBy(() -> export.write(bad, "metadata/k.json").toCompletableFuture().join())
          .hasRootCauseInstanceOf(IllegalArgumentException.class);
    }
    assertThat(uploads.key).isNull();
    assertThat(AudienceExport.key("2026-11_b.1~x")).isEqualTo("audiences/2026-11_b.1~x.csv");
  }
}
