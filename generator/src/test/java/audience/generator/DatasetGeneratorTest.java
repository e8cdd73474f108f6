package audience.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import audience.contract.ContractLimits;
import audience.contract.ContractParser;
import audience.contract.MemberProfile;
import audience.contract.ParseResult;
import audience.contract.RejectionKind;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

class DatasetGeneratorTest {

  /**
   * The strictest parser a data set anchored at the default snapshot date may meet: its clock reads the start
   * of that date, with no skew allowed.
   */
  private static final ContractParser PARSER = parserAt(DatasetGenerator.DEFAULT_SNAPSHOT_DATE);
  private static final GeneratorSpec SPEC =
      new GeneratorSpec(3_000, 80, 42L, "audience-raw", "raw/", 0.3);

  private static ContractParser parserAt(LocalDate snapshotDate) {
    Clock startOfDay = Clock.fixed(snapshotDate.atStartOfDay(ZoneOffset.UTC).toInstant(), ZoneOffset.UTC);
    return new ContractParser(new ContractLimits(ContractParser.DEFAULT_MAX_BYTES, startOfDay, Duration.ZERO));
  }

  /** Parses every file of {@code g} with {@code parser} and checks it against its expectation; the kinds seen. */
  private static Set<RejectionKind> assertEveryFileParsesAsExpected(DatasetGenerator g, ContractParser parser) {
    Set<RejectionKind> seen = EnumSet.noneOf(RejectionKind.class);
    for (int i = 0; i < g.files(); i++) {
      GeneratedFile f = g.file(i);
      ParseResult r = parser.parse(f.key(), f.body());
      if (f.expectation() instanceof Expectation.Good good) {
        assertThat(r).as("file %d %s", i, f.key()).isInstanceOf(ParseResult.Valid.class);
        MemberProfile p = ((ParseResult.Valid) r).profile();
        assertThat(p.memberId()).isEqualTo(good.memberId());
        assertThat(p.lastActive()).isEqualTo(good.lastActive());
        assertThat(p).isEqualTo(g.expectedProfile(i));
      } else {
        Expectation.Bad bad = (Expectation.Bad) f.expectation();
        assertThat(r).as("file %d %s", i, f.key()).isInstanceOf(ParseResult.Invalid.class);
        assertThat(((ParseResult.Invalid) r).rejection().kind())
            .as("file %d: %s", i, ((ParseResult.Invalid) r).rejection().reason())
            .isEqualTo(bad.kind());
        seen.add(bad.kind());
      }
    }
    return seen;
  }

  @Test
  void sameSpecSameBytesOtherSeedOtherBytes() {
    DatasetGenerator a = new DatasetGenerator(SPEC);
    DatasetGenerator b = new DatasetGenerator(SPEC);
    DatasetGenerator c = new DatasetGenerator(
        new GeneratorSpec(3_000, 80, 43L, "audience-raw", "raw/", 0.3));
    int differing = 0;
    for (int i = 0; i < SPEC.files(); i += 7) {
      GeneratedFile fa = a.file(i);
      GeneratedFile fb = b.file(i);
      assertThat(fb.key()).isEqualTo(fa.key());
      assertThat(fb.body()).isEqualTo(fa.body());
      assertThat(fb.expectation()).isEqualTo(fa.expectation());
      if (!Arrays.equals(fa.body(), c.file(i).body())) {
        differing++;
      }
    }
    assertThat(differing).isGreaterThan(SPEC.files() / 7 * 9 / 10);
    assertThat(a.groundTruth()).isEqualTo(b.groundTruth());
  }

  @Test
  void exactlyBadFilesAreBadSpreadOverTheRange() {
    int[][] cases = {{3_000, 80}, {1_000, 0}, {1_000, 1}, {1_000, 1_000}, {7, 3}, {10_007, 999},
        {0, 0}};
    for (int[] c : cases) {
      DatasetGenerator g = new DatasetGenerator(
          new GeneratorSpec(c[0], c[1], 7L, "audience-raw", "", 0.2));
      int bad = 0;
      for (int i = 0; i < c[0]; i++) {
        if (g.isBad(i)) {
          bad++;
          assertThat(g.expectation(i)).isInstanceOf(Expectation.Bad.class);
        }
      }
      assertThat(bad).as("files=%d bad=%d", c[0], c[1]).isEqualTo(c[1]);
      assertThat(g.groundTruth().expectedQuarantined()).isEqualTo(c[1]);
    }
    // spread: each tenth of the range holds about a tenth of the bad files
    DatasetGenerator g = new DatasetGenerator(SPEC);
    for (int t = 0; t < 10; t++) {
      int inTenth = 0;
      for (int i = t * 300; i < (t + 1) * 300; i++) {
        inTenth += g.isBad(i) ? 1 : 0;
      }
      assertThat(inTenth).isBetween(7, 9);
    }
  }

  @Test
  void everyFileParsesAsExpected() {
    DatasetGenerator g = new DatasetGenerator(SPEC);
    Set<String> keys = new HashSet<>();
    Pattern key = Pattern.compile("raw/2025-06-30/part-\\d{4}/m-[0-9a-z]{13}\\.json(\\.gz)?");
    for (int i = 0; i < SPEC.files(); i++) {
      GeneratedFile f = g.file(i);
      assertThat(f.key()).matches(key).endsWith(f.gzip() ? ".json.gz" : ".json");
      assertThat(f.key()).isEqualTo(g.key(i));
      assertThat(f.expectation()).isEqualTo(g.expectation(i));
      assertThat(keys.add(f.key())).as("unique key %s", f.key()).isTrue();
      if (f.expectation() instanceof Expectation.Good good) {
        assertThat(f.key()).contains("/" + good.memberId() + ".json");
      }
    }
    assertThat(assertEveryFileParsesAsExpected(g, PARSER))
        .containsExactlyInAnyOrderElementsOf(DatasetGenerator.BAD_KINDS);
  }

  @Test
  void goodFilesAreValidFromTheStartOfTheirSnapshotDateEvenAtTheEarliestDate() {
    // every instant of a good file lies in [2000-01-01, start of the snapshot date): the ground truth holds for a
    // parser whose clock reads the start of that date with no skew, and so for any later clock
    GeneratorSpec spec = new GeneratorSpec(3_000, 80, 13L, "audience-raw", "", 0.2);
    LocalDate earliest = DatasetGenerator.EARLIEST_SNAPSHOT_DATE;
    assertThat(earliest.atStartOfDay(ZoneOffset.UTC).toInstant())
        .isAfter(ContractParser.EARLIEST_INSTANT).isBefore(ContractParser.EARLIEST_INSTANT.plus(Duration.ofDays(180)));
    DatasetGenerator g = new DatasetGenerator(spec, earliest);
    assertThat(assertEveryFileParsesAsExpected(g, parserAt(earliest)))
        .containsExactlyInAnyOrderElementsOf(DatasetGenerator.BAD_KINDS);
    Instant snapshot = earliest.atStartOfDay(ZoneOffset.UTC).toInstant();
    for (int i = 0; i < g.files(); i++) {
      if (!g.isBad(i)) {
        MemberProfile p = g.expectedProfile(i);
        assertThat(p.lastActive()).isBefore(snapshot).isAfterOrEqualTo(ContractParser.EARLIEST_INSTANT);
        p.activity().forEach(a -> assertThat(a.at()).isAfterOrEqualTo(ContractParser.EARLIEST_INSTANT));
      }
    }
    assertThatThrownBy(() -> new DatasetGenerator(spec, earliest.minusDays(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("snapshotDate must be on or after " + earliest);
  }

  @Test
  void everyBadKindAndVariantIsRejectedWithThatKindPlainAndGzipped() {
    // all files bad: 60 of each kind, variants drawn per file, half of them gzipped
    DatasetGenerator g = new DatasetGenerator(
        new GeneratorSpec(660, 660, 5L, "audience-raw", "", 0.5));
    Map<RejectionKind, Set<String>> details = new EnumMap<>(RejectionKind.class);
    Map<RejectionKind, Integer> gzipped = new EnumMap<>(RejectionKind.class);
    for (int i = 0; i < g.files(); i++) {
      GeneratedFile f = g.file(i);
      RejectionKind expected = ((Expectation.Bad) f.expectation()).kind();
      ParseResult r = PARSER.parse(f.key(), f.body());
      assertThat(r).as("file %d", i).isInstanceOf(ParseResult.Invalid.class);
      var rejection = ((ParseResult.Invalid) r).rejection();
      assertThat(rejection.kind()).as("file %d: %s", i, rejection.reason()).isEqualTo(expected);
      details.computeIfAbsent(expected, k -> new HashSet<>())
          .add(rejection.detail().replaceAll("[0-9]+", "#"));
      if (f.gzip()) {
        gzipped.merge(expected, 1, Integer::sum);
      }
      if (expected == RejectionKind.OVERSIZE) {
        assertThat(f.gzip() ? f.body().length : f.body().length - 1)
            .isLessThanOrEqualTo(f.gzip() ? 64 * 1024 : 1_048_576 + 4096);
      }
    }
    assertThat(details.keySet()).containsExactlyInAnyOrderElementsOf(DatasetGenerator.BAD_KINDS);
    assertThat(gzipped.keySet()).containsAll(DatasetGenerator.BAD_KINDS);
    // the variants show up as different details
    assertThat(details.get(RejectionKind.NOT_JSON).size()).isGreaterThanOrEqualTo(3);
    assertThat(details.get(RejectionKind.WRONG_TYPE).size()).isGreaterThanOrEqualTo(5);
    assertThat(details.get(RejectionKind.MISSING_FIELD).size()).isGreaterThanOrEqualTo(8);
    assertThat(details.get(RejectionKind.BAD_GZIP)).hasSize(3);
    // out of range: numbers and instants, the instants named by field and bound
    assertThat(details.get(RejectionKind.OUT_OF_RANGE)).contains(
        "lastActive is after #-#-#T#:#:#Z (now + max clock skew PT#S)",
        "lastActive is before #-#-#T#:#:#Z",
        "activity[#].at is before #-#-#T#:#:#Z");
  }

  @Test
  void repeatedMembersHaveDistinctLastActiveInOtherParts() {
    DatasetGenerator g = new DatasetGenerator(new GeneratorSpec(20_000, 200, 9L, "audience-raw", "", 0.2));
    Map<String, List<Integer>> byMember = new HashMap<>();
    int repeats = 0;
    int good = 0;
    int older = 0;
    for (int i = 0; i < g.files(); i++) {
      if (g.expectation(i) instanceof Expectation.Good e) {
        good++;
        byMember.computeIfAbsent(e.memberId(), k -> new ArrayList<>()).add(i);
        int s = g.repeatOf(i);
        if (s >= 0) {
          repeats++;
          assertThat(s / DatasetGenerator.PART_SIZE).isLessThan(i / DatasetGenerator.PART_SIZE);
          Expectation.Good first = (Expectation.Good) g.expectation(s);
          assertThat(first.memberId()).isEqualTo(e.memberId());
          assertThat(e.lastActive()).isNotEqualTo(first.lastActive());
          older += e.lastActive().isBefore(first.lastActive()) ? 1 : 0;
        }
      }
    }
    // about 5 % of the good files after the first part
    assertThat(repeats).isBetween((int) (0.04 * 19_000), (int) (0.06 * 19_000));
    assertThat(older).as("some repeats are older than the first snapshot").isGreaterThan(repeats / 5);
    int multi = 0;
    for (List<Integer> idx : byMember.values()) {
      if (idx.size() > 1) {
        multi++;
        Set<Instant> at = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (int i : idx) {
          at.add(((Expectation.Good) g.expectation(i)).lastActive());
          keys.add(g.key(i));
        }
        assertThat(at).hasSize(idx.size());
        assertThat(keys).hasSize(idx.size());
      }
    }
    assertThat(multi).isGreaterThan(500);
    assertThat(byMember).hasSize((int) g.groundTruth().distinctMembers());
    assertThat(good).isEqualTo(20_000 - 200);
  }

  @Test
  void groundTruthMatchesABruteForceCount() {
    DatasetGenerator g = new DatasetGenerator(SPEC);
    long valid = 0;
    Map<RejectionKind, Long> byKind = new EnumMap<>(RejectionKind.class);
    Map<String, Instant> newest = new HashMap<>();
    for (int i = 0; i < SPEC.files(); i++) {
      GeneratedFile f = g.file(i);
      ParseResult r = PARSER.parse(f.key(), f.body());
      if (r instanceof ParseResult.Valid v) {
        valid++;
        newest.merge(v.profile().memberId(), v.profile().lastActive(),
            (a, b) -> a.isAfter(b) ? a : b);
      } else {
        byKind.merge(((ParseResult.Invalid) r).rejection().kind(), 1L, Long::sum);
      }
    }
    GroundTruth t = g.groundTruth();
    assertThat(t.files()).isEqualTo(SPEC.files());
    assertThat(t.expectedValidFiles()).isEqualTo(valid);
    assertThat(t.expectedQuarantined()).isEqualTo(SPEC.files() - valid).isEqualTo(80);
    assertThat(t.distinctMembers()).isEqualTo(newest.size());
    assertThat(t.quarantinedByKind()).isEqualTo(byKind);
    assertThat(g.expectedNewest()).isEqualTo(newest);
    assertThat(t.distinctMembers()).isLessThan(t.expectedValidFiles());
  }

  @Test
  void groundTruthOfAMillionFilesIsCheap() {
    DatasetGenerator g = new DatasetGenerator(
        new GeneratorSpec(1_000_000, 10_000, 1L, "audience-raw", "", 0.2));
    long t0 = System.nanoTime();
    GroundTruth t = g.groundTruth();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf("groundTruth(1,000,000 files) in %d ms: %s%n", ms, t);
    assertThat(t.expectedValidFiles() + t.expectedQuarantined()).isEqualTo(1_000_000);
    assertThat(t.expectedQuarantined()).isEqualTo(10_000);
    assertThat(t.quarantinedByKind().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(10_000);
    assertThat(t.distinctMembers()).isBetween(
        (long) (0.94 * t.expectedValidFiles()), (long) (0.96 * t.expectedValidFiles()));
  }

  @Test
  void gzipShareIsHonoured() {
    for (double share : new double[] {0.0, 0.3, 1.0}) {
      DatasetGenerator g = new DatasetGenerator(
          new GeneratorSpec(3_000, 0, 11L, "audience-raw", "", share));
      int gz = 0;
      for (int i = 0; i < g.files(); i++) {
        GeneratedFile f = g.file(i);
        if (f.gzip()) {
          gz++;
          assertThat(ContractParser.hasGzipMagic(f.body())).isTrue();
        }
      }
      assertThat(gz / 3000.0).as("share %s", share).isCloseTo(share, org.assertj.core.data.Offset.offset(0.03));
    }
  }

  @Test
  void goodFilesLookRealistic() {
    DatasetGenerator g = new DatasetGenerator(
        new GeneratorSpec(3_000, 0, 3L, "audience-raw", "", 0.0), LocalDate.of(2026, 1, 15));
    int min = Integer.MAX_VALUE;
    int max = 0;
    long total = 0;
    Set<String> states = new HashSet<>();
    int optIn = 0;
    int recent = 0;
    Instant snapshot = Instant.parse("2026-01-15T00:00:00Z");
    for (int i = 0; i < g.files(); i++) {
      GeneratedFile f = g.file(i);
      assertThat(f.key()).startsWith("2026-01-15/part-000");
      min = Math.min(min, f.body().length);
      max = Math.max(max, f.body().length);
      total += f.body().length;
      MemberProfile p = g.expectedProfile(i);
      states.add(p.state().wire());
      optIn += p.optIn() ? 1 : 0;
      assertThat(p.lastActive()).isBefore(snapshot);
      recent += p.lastActive().isAfter(snapshot.minusSeconds(30 * 86_400)) ? 1 : 0;
      assertThat(p.activity()).hasSizeLessThanOrEqualTo(5);
      p.activity().forEach(a -> assertThat(a.at()).isBeforeOrEqualTo(p.lastActive()));
    }
    System.out.printf("good file sizes: min %d, mean %d, max %d bytes; sample:%n%s%n", min,
        total / 3000, max, new String(g.file(1).body(), StandardCharsets.US_ASCII));
    assertThat(min).isGreaterThanOrEqualTo(400);
    assertThat(max).isLessThanOrEqualTo(800);
    assertThat(states).hasSize(8);
    assertThat(optIn).isBetween(1800, 2400);
    assertThat(recent).isBetween(1000, 2500);
  }

  @Test
  void specValidation() {
    assertThatThrownBy(() -> new GeneratorSpec(-1, 0, 1, "audience-raw", "", 0.1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("files must be >= 0, was -1");
    assertThatThrownBy(() -> new GeneratorSpec(10, 11, 1, "audience-raw", "", 0.1))
        .hasMessage("badFiles must be in 0..files (10), was 11");
    assertThatThrownBy(() -> new GeneratorSpec(10, -1, 1, "audience-raw", "", 0.1))
        .hasMessage("badFiles must be in 0..files (10), was -1");
    assertThatThrownBy(() -> new GeneratorSpec(10, 1, 1, "Audience_Raw", "", 0.1))
        .hasMessageStartingWith("bucket must be 3..63 characters").hasMessageEndingWith("\"Audience_Raw\"");
    assertThatThrownBy(() -> new GeneratorSpec(10, 1, 1, null, "", 0.1))
        .hasMessageEndingWith("was null");
    assertThatThrownBy(() -> new GeneratorSpec(10, 1, 1, "audience-raw", "raw", 0.1))
        .hasMessageContaining("prefix must be empty or end with \"/\"");
    assertThatThrownBy(() -> new GeneratorSpec(10, 1, 1, "audience-raw", "/raw/", 0.1))
        .hasMessageContaining("prefix must be empty or end with \"/\"");
    assertThatThrownBy(() -> new GeneratorSpec(10, 1, 1, "audience-raw", null, 0.1))
        .hasMessageContaining("prefix must not be null");
    assertThatThrownBy(() -> new GeneratorSpec(10, 1, 1, "audience-raw", "", Double.NaN))
        .hasMessage("gzipShare must be in 0..1, was NaN");
    assertThatThrownBy(() -> new GeneratorSpec(10, 1, 1, "audience-raw", "", 1.5))
        .hasMessage("gzipShare must be in 0..1, was 1.5");
    assertThatThrownBy(() -> new DatasetGenerator(GeneratorSpec.of(10, 1, 1)).file(10))
        .isInstanceOf(IndexOutOfBoundsException.class).hasMessage("index 10 outside 0..9");
    assertThatThrownBy(() -> new DatasetGenerator(GeneratorSpec.of(10, 10, 1)).expectedProfile(3))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
