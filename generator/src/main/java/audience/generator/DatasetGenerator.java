package audience.generator;

import audience.contract.Activity;
import audience.contract.ActivityType;
import audience.contract.AuState;
import audience.contract.ContractParser;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;
import audience.contract.RejectionKind;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPOutputStream;

/**
 * Generates a data set of raw member files (data contract v1) with known faults.
 *
 * <p>Pure and deterministic: every method is a function of ({@link GeneratorSpec}, snapshot date,
 * index); nothing is stored per file, so a million files cost no memory until they are asked for.
 * Instances are immutable and thread-safe.
 *
 * <p>Layout of index {@code i}:
 *
 * <ul>
 *   <li>key {@code prefix + <snapshotDate>/part-<i / 1000, 4 digits>/<memberId>.json[.gz]};
 *   <li>exactly {@code badFiles} bad indexes, one per stratum of {@code [0, files)} cut into {@code
 *       badFiles} equal runs, at a seeded position inside it; the bad kinds rotate over {@link
 *       #BAD_KINDS} in index order, so every kind appears once {@code badFiles >= 11};
 *   <li>about 5 % of the good files from the second part on repeat the member of a good file in an
 *       earlier part (same memberId and email, other fields re-drawn) with a lastActive that
 *       differs from every other snapshot of that member (sometimes older, sometimes newer, so
 *       that processing order never decides). Two repeats in one part never share a member, so
 *       keys are unique. The distinctness argument holds for up to 86,400,000 files.
 * </ul>
 *
 * <p>Every instant in a good file lies before the start of the snapshot date and on or after {@link
 * ContractParser#EARLIEST_INSTANT}, so a good file is valid for any parser whose clock reads at least
 * the start of the snapshot date (whatever its clock skew): the ground truth holds for files generated
 * for today or an earlier day. The bad files that are {@code OUT_OF_RANGE} for an instant hold one that
 * no real clock accepts (before 2000, or in the year 9999).
 */
public final class DatasetGenerator {

  /** Files per {@code part-nnnn} folder. */
  public static final int PART_SIZE = 1000;

  /** Share of good files (from the second part on) that repeat an earlier member. */
  public static final double REPEAT_SHARE = 0.05;

  /** The bad kinds in the order they rotate. */
  public static final List<RejectionKind> BAD_KINDS = List.of(
      RejectionKind.NOT_JSON, RejectionKind.TRUNCATED, RejectionKind.WRONG_TYPE,
      RejectionKind.MISSING_FIELD, RejectionKind.OUT_OF_RANGE, RejectionKind.INVALID_UTF8,
      RejectionKind.OVERSIZE, RejectionKind.EMPTY, RejectionKind.INVALID_VALUE,
      RejectionKind.NOT_AN_OBJECT, RejectionKind.BAD_GZIP);

  /** Snapshot date used when none is given: keeps output independent of the clock. */
  public static final LocalDate DEFAULT_SNAPSHOT_DATE = LocalDate.of(2025, 6, 30);

  private static final long DAY_MS = 86_400_000L;
  /** The newest lastActive lies this long before the start of the snapshot date. */
  private static final long SNAPSHOT_GAP_MS = 1000;
  /** lastActive of a first snapshot falls in this window before the snapshot date. */
  private static final long WINDOW_MS = 90 * DAY_MS;
  /** A repeat lies 1..this many days (plus less than one day) away from its member's first snapshot. */
  private static final int REPEAT_MAX_SHIFT_DAYS = 30;
  /** Activity entries lie up to this long before their file's lastActive. */
  private static final long ACTIVITY_SPAN_MS = 14 * DAY_MS;
  /** No instant in a good file lies this long or more before the start of the snapshot date. */
  private static final long MAX_LOOKBACK_MS =
      SNAPSHOT_GAP_MS + WINDOW_MS + (REPEAT_MAX_SHIFT_DAYS + 1) * DAY_MS + ACTIVITY_SPAN_MS;

  /** The earliest snapshot date whose good files hold no instant before {@link ContractParser#EARLIEST_INSTANT}. */
  public static final LocalDate EARLIEST_SNAPSHOT_DATE = LocalDate.ofInstant(
      ContractParser.EARLIEST_INSTANT.plusMillis(MAX_LOOKBACK_MS - 1), ZoneOffset.UTC).plusDays(1);

  /** An OUT_OF_RANGE lastActive: the "never" some exports write for a missing date. */
  private static final String NEVER = "9999-12-31T23:59:59Z";
  private static final int MAX_SOURCE_TRIES = 64;
  private static final long OVERSIZE_LIMIT = ContractParser.DEFAULT_MAX_BYTES;

  // independent hash streams
  private static final long S_BAD = 1, S_REPEAT = 2, S_SOURCE = 3, S_GZIP = 4, S_PERSON = 5,
      S_SNAPSHOT = 6, S_LAST_ACTIVE = 7, S_REPEAT_SHIFT = 8, S_VARIANT = 9, S_ID = 10;

  private final GeneratorSpec spec;
  private final LocalDate snapshotDate;
  private final String datePart;
  private final long snapshotEpochMs;
  private final long idKey;

  /** A generator anchored at {@link #DEFAULT_SNAPSHOT_DATE}. */
  public DatasetGenerator(GeneratorSpec spec) {
    this(spec, DEFAULT_SNAPSHOT_DATE);
  }

  /**
   * A generator whose files are a snapshot taken at the start of {@code snapshotDate} (UTC):
   * lastActive falls in the 90 days before it, mostly recent. Pass today's date for a live demo
   * (segments look at the last 30 days).
   */
  public DatasetGenerator(GeneratorSpec spec, LocalDate snapshotDate) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.snapshotDate = Objects.requireNonNull(snapshotDate, "snapshotDate");
    if (snapshotDate.isBefore(EARLIEST_SNAPSHOT_DATE)) {
      throw new IllegalArgumentException("snapshotDate must be on or after " + EARLIEST_SNAPSHOT_DATE
          + " (good files would hold instants before " + ContractParser.EARLIEST_INSTANT + "), was "
          + snapshotDate);
    }
    this.datePart = snapshotDate.toString();
    this.snapshotEpochMs = snapshotDate.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    this.idKey = SplitMix64.hash(spec.seed(), S_ID, 0);
  }

  public GeneratorSpec spec() {
    return spec;
  }

  public LocalDate snapshotDate() {
    return snapshotDate;
  }

  public int files() {
    return spec.files();
  }

  // ---------------------------------------------------------------------------------------------
  // public per-index functions

  /** The file at {@code index}, body included (gzipped when its key ends in .gz). */
  public GeneratedFile file(int index) {
    checkIndex(index);
    if (isBad(index)) {
      RejectionKind kind = badKind(index);
      boolean gzip = kind == RejectionKind.BAD_GZIP || gzipDrawn(index);
      byte[] body = badBody(index, kind, gzip);
      return new GeneratedFile(key(index, gzip), body, gzip, new Expectation.Bad(kind));
    }
    boolean gzip = gzipDrawn(index);
    Snapshot s = snapshot(index);
    byte[] json = render(s, null, null).getBytes(StandardCharsets.US_ASCII);
    return new GeneratedFile(key(index, gzip), gzip ? gzip(json) : json, gzip,
        new Expectation.Good(s.profile.memberId(), s.profile.lastActive()));
  }

  /** The expectation of {@code index} without building the body. */
  public Expectation expectation(int index) {
    checkIndex(index);
    if (isBad(index)) {
      return new Expectation.Bad(badKind(index));
    }
    return new Expectation.Good(
        memberId(personIndex(index)), Instant.ofEpochMilli(lastActiveMs(index)));
  }

  /** The key of {@code index} without building the body. */
  public String key(int index) {
    checkIndex(index);
    boolean gzip = gzipDrawn(index)
        || (isBad(index) && badKind(index) == RejectionKind.BAD_GZIP);
    return key(index, gzip);
  }

  /** The profile a good file must parse to (the ingester stores it when it is the newest). */
  public MemberProfile expectedProfile(int index) {
    checkIndex(index);
    if (isBad(index)) {
      throw new IllegalArgumentException("index " + index + " is a bad file");
    }
    return snapshot(index).profile;
  }

  /** True when {@code index} is one of the {@code badFiles} bad files. */
  public boolean isBad(int index) {
    int bad = spec.badFiles();
    if (bad == 0) {
      return false;
    }
    long j = stratum(index);
    return index == badIndexOf(j);
  }

  /**
   * The index of the earlier good file whose member {@code index} repeats, or -1 when {@code
   * index} is a bad file or a first snapshot of its member.
   */
  public int repeatOf(int index) {
    if (!isRepeatCandidate(index)) {
      return -1;
    }
    int part = index / PART_SIZE;
    int offset = index % PART_SIZE;
    int q0 = (int) Long.remainderUnsigned(SplitMix64.hash(spec.seed(), S_SOURCE, index), part);
    for (int k = 0, tries = Math.min(part, MAX_SOURCE_TRIES); k < tries; k++) {
      int s = ((q0 + k) % part) * PART_SIZE + offset; // same offset: repeats in a part differ
      if (!isBad(s) && !isRepeatCandidate(s)) {
        return s;
      }
    }
    return -1;
  }

  // ---------------------------------------------------------------------------------------------
  // aggregate views

  /**
   * Counts by iterating every index without building bodies: O(files) time, O(1) memory (distinct
   * members are known by construction: a good file starts a member unless it is a repeat).
   */
  public GroundTruth groundTruth() {
    long valid = 0;
    long distinct = 0;
    EnumMap<RejectionKind, Long> byKind = new EnumMap<>(RejectionKind.class);
    for (int i = 0; i < spec.files(); i++) {
      if (isBad(i)) {
        byKind.merge(badKind(i), 1L, Long::sum);
      } else {
        valid++;
        if (repeatOf(i) < 0) {
          distinct++;
        }
      }
    }
    return new GroundTruth(spec.files(), valid, spec.files() - valid, distinct, byKind);
  }

  /**
   * memberId to newest lastActive among the good files, i.e. the lastActive each member row must
   * end with. O(distinct members) memory: meant for small data sets and tests.
   */
  public Map<String, Instant> expectedNewest() {
    Map<String, Instant> newest = new HashMap<>();
    for (int i = 0; i < spec.files(); i++) {
      if (!isBad(i)) {
        Instant at = Instant.ofEpochMilli(lastActiveMs(i));
        newest.merge(memberId(personIndex(i)), at, (a, b) -> a.isAfter(b) ? a : b);
      }
    }
    return newest;
  }

  // ---------------------------------------------------------------------------------------------
  // layout

  private void checkIndex(int index) {
    if (index < 0 || index >= spec.files()) {
      throw new IndexOutOfBoundsException(
          "index " + index + " outside 0.." + (spec.files() - 1));
    }
  }

  /** Stratum j holds [floor(j*files/bad), floor((j+1)*files/bad)). */
  private long stratum(int index) {
    return ((index + 1L) * spec.badFiles() - 1) / spec.files();
  }

  private int stratumStart(long j) {
    return (int) (j * spec.files() / spec.badFiles());
  }

  private int badIndexOf(long j) {
    int start = stratumStart(j);
    int len = stratumStart(j + 1) - start;
    return start + (int) Long.remainderUnsigned(SplitMix64.hash(spec.seed(), S_BAD, j), len);
  }

  private RejectionKind badKind(int index) {
    return BAD_KINDS.get((int) (stratum(index) % BAD_KINDS.size()));
  }

  private boolean isRepeatCandidate(int index) {
    return index >= PART_SIZE
        && SplitMix64.unit(SplitMix64.hash(spec.seed(), S_REPEAT, index)) < REPEAT_SHARE
        && !isBad(index);
  }

  private int personIndex(int index) {
    int s = repeatOf(index);
    return s < 0 ? index : s;
  }

  private boolean gzipDrawn(int index) {
    return SplitMix64.unit(SplitMix64.hash(spec.seed(), S_GZIP, index)) < spec.gzipShare();
  }

  private String key(int index, boolean gzip) {
    String id = isBad(index) ? memberId(index) : memberId(personIndex(index));
    StringBuilder b = new StringBuilder(spec.prefix().length() + 48)
        .append(spec.prefix()).append(datePart).append("/part-");
    String part = Integer.toString(index / PART_SIZE);
    for (int k = part.length(); k < 4; k++) {
      b.append('0');
    }
    return b.append(part).append('/').append(id).append(gzip ? ".json.gz" : ".json").toString();
  }

  /** Distinct indexes give distinct ids: mix is a bijection, base 36 padded to 13 digits. */
  private String memberId(int personIndex) {
    String digits = Long.toUnsignedString(SplitMix64.mix(personIndex + idKey), 36);
    return "m-" + "0".repeat(13 - digits.length()) + digits;
  }

  private long baseLastActiveMs(int index) {
    double u = SplitMix64.unit(SplitMix64.hash(spec.seed(), S_LAST_ACTIVE, index));
    return snapshotEpochMs - SNAPSHOT_GAP_MS - (long) (u * u * WINDOW_MS); // skewed towards recent
  }

  /**
   * A repeat lies 1..30 days plus (index mod 1 day) ms away from its first snapshot: repeats of
   * one member have distinct indexes, hence distinct shifts, hence distinct lastActive.
   */
  private long lastActiveMs(int index) {
    int s = repeatOf(index);
    if (s < 0) {
      return baseLastActiveMs(index);
    }
    long first = baseLastActiveMs(s);
    long h = SplitMix64.hash(spec.seed(), S_REPEAT_SHIFT, index);
    long shift = DAY_MS * (1 + Long.remainderUnsigned(h, REPEAT_MAX_SHIFT_DAYS)) + index % DAY_MS;
    boolean later = h < 0;
    return later && first + shift < snapshotEpochMs ? first + shift : first - shift;
  }

  // ---------------------------------------------------------------------------------------------
  // content

  private record Suburb(String name, String postcode, AuState state) {}

  private static final Suburb[] SUBURBS = {
      new Suburb("Bondi", "2026", AuState.NSW), new Suburb("Surry Hills", "2010", AuState.NSW),
      new Suburb("Parramatta", "2150", AuState.NSW), new Suburb("Newtown", "2042", AuState.NSW),
      new Suburb("Manly", "2095", AuState.NSW), new Suburb("Chatswood", "2067", AuState.NSW),
      new Suburb("Penrith", "2750", AuState.NSW), new Suburb("Newcastle", "2300", AuState.NSW),
      new Suburb("Wollongong", "2500", AuState.NSW), new Suburb("Richmond", "3121", AuState.VIC),
      new Suburb("Fitzroy", "3065", AuState.VIC), new Suburb("St Kilda", "3182", AuState.VIC),
      new Suburb("Brunswick", "3056", AuState.VIC), new Suburb("Geelong", "3220", AuState.VIC),
      new Suburb("Ballarat", "3350", AuState.VIC), new Suburb("Box Hill", "3128", AuState.VIC),
      new Suburb("Footscray", "3011", AuState.VIC), new Suburb("Paddington", "4064", AuState.QLD),
      new Suburb("New Farm", "4005", AuState.QLD),
      new Suburb("Surfers Paradise", "4217", AuState.QLD),
      new Suburb("Toowoomba", "4350", AuState.QLD), new Suburb("Cairns", "4870", AuState.QLD),
      new Suburb("Noosa Heads", "4567", AuState.QLD), new Suburb("Fremantle", "6160", AuState.WA),
      new Suburb("Subiaco", "6008", AuState.WA), new Suburb("Scarborough", "6019", AuState.WA),
      new Suburb("Joondalup", "6027", AuState.WA), new Suburb("Glenelg", "5045", AuState.SA),
      new Suburb("Norwood", "5067", AuState.SA), new Suburb("Prospect", "5082", AuState.SA),
      new Suburb("Sandy Bay", "7005", AuState.TAS), new Suburb("Launceston", "7250", AuState.TAS),
      new Suburb("Braddon", "2612", AuState.ACT), new Suburb("Belconnen", "2617", AuState.ACT),
      new Suburb("Darwin City", "0800", AuState.NT), new Suburb("Palmerston", "0830", AuState.NT),
  };

  private static final String[] FIRST_NAMES = {"Olivia", "Jack", "Charlotte", "Noah", "Amelia",
      "William", "Isla", "Oliver", "Mia", "Thomas", "Grace", "Lachlan", "Chloe", "James", "Ruby",
      "Liam", "Sophie", "Ethan", "Zara", "Harrison", "Priya", "Wei", "Aisha", "Mateo"};
  private static final String[] LAST_NAMES = {"Smith", "Jones", "Williams", "Brown", "Wilson",
      "Taylor", "Nguyen", "Johnson", "Martin", "White", "Anderson", "Walker", "Thompson", "Kelly",
      "Ryan", "Chen", "Singh", "Murphy", "O'Brien", "Campbell", "Patel", "Lee", "Harris", "Clarke"};
  private static final String[] DOMAINS = {"gmail.com", "outlook.com", "bigpond.com",
      "yahoo.com.au", "icloud.com", "optusnet.com.au", "hotmail.com"};
  private static final String[] SOURCES = {"web", "ios", "android"};

  private record Person(
      String firstName, String lastName, String email, int homeSuburb, LocalDate memberSince) {}

  /** A good file: the profile plus fields the contract ignores. */
  private record Snapshot(
      MemberProfile profile, Person person, String source, String preferences) {}

  private Person person(int personIndex) {
    SplitMix64 r = new SplitMix64(SplitMix64.hash(spec.seed(), S_PERSON, personIndex));
    String first = r.pick(FIRST_NAMES);
    String last = r.pick(LAST_NAMES);
    String local = (first + "." + last).toLowerCase().replace("'", "") + r.between(1, 9999);
    return new Person(first, last, local + "@" + r.pick(DOMAINS), r.nextInt(SUBURBS.length),
        LocalDate.of(2012, 1, 1).plusDays(r.nextInt(12 * 365)));
  }

  private Snapshot snapshot(int index) {
    int p = personIndex(index);
    Person person = person(p);
    SplitMix64 r = new SplitMix64(SplitMix64.hash(spec.seed(), S_SNAPSHOT, index));
    Suburb suburb = r.chance(0.25) ? r.pick(SUBURBS) : SUBURBS[person.homeSuburb()];
    boolean optIn = r.chance(0.7);
    int ip = r.nextInt(100);
    Intent intent = ip < 45 ? Intent.BUY : ip < 75 ? Intent.RENT : ip < 85 ? Intent.SELL
        : Intent.INVEST;
    int tp = r.nextInt(100);
    PropertyType type = tp < 45 ? PropertyType.HOUSE : tp < 80 ? PropertyType.APARTMENT
        : tp < 95 ? PropertyType.TOWNHOUSE : PropertyType.LAND;
    if (intent == Intent.RENT && type == PropertyType.LAND) {
      type = PropertyType.HOUSE;
    }
    int bedrooms = switch (type) {
      case HOUSE -> r.between(2, 6);
      case APARTMENT -> r.chance(0.05) ? 0 : r.between(1, 3);
      case TOWNHOUSE -> r.between(2, 4);
      case LAND -> 0;
    };
    long priceMin;
    long priceMax;
    if (intent == Intent.RENT) {
      int lo = type == PropertyType.APARTMENT ? 35 : 50;
      int hi = type == PropertyType.APARTMENT ? 90 : 150;
      priceMin = r.between(lo, hi) * 10L;
      priceMax = priceMin + r.between(5, 40) * 10L;
    } else {
      int[] range = switch (type) {
        case HOUSE -> new int[] {70, 250};
        case APARTMENT -> new int[] {35, 120};
        case TOWNHOUSE -> new int[] {55, 150};
        case LAND -> new int[] {25, 90};
      };
      priceMin = r.between(range[0], range[1]) * 10_000L;
      priceMax = priceMin + r.between(5, 40) * 10_000L;
    }
    long lastActive = lastActiveMs(index);
    int n = r.nextInt(6);
    List<Activity> activity = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      int at = r.nextInt(100);
      ActivityType t = at < 35 ? ActivityType.SEARCH : at < 75 ? ActivityType.VIEW
          : at < 90 ? ActivityType.SAVE : ActivityType.ENQUIRY;
      long when = lastActive - (k == 0 ? 0 : (long) (r.nextDouble() * ACTIVITY_SPAN_MS));
      activity.add(new Activity(t, "l-" + r.between(100_000_000, 999_999_999),
          Instant.ofEpochMilli(when)));
    }
    activity.sort(Comparator.comparing(Activity::at));
    MemberProfile profile = new MemberProfile(memberId(p), person.email(), optIn, suburb.name(),
        suburb.postcode(), suburb.state(), intent, type, bedrooms, priceMin, priceMax,
        Instant.ofEpochMilli(lastActive), activity);
    String preferences = n >= 2 ? null
        : "{\"email\":" + optIn + ",\"sms\":" + r.chance(0.2) + ",\"frequency\":"
            + str(r.pick(new String[] {"daily", "weekly", "monthly"})) + "}";
    return new Snapshot(profile, person, r.pick(SOURCES), preferences);
  }

  /**
   * Renders a snapshot in contract order with a few fields the contract ignores. When {@code
   * field} is not null its value is replaced by {@code raw} (raw JSON), or left out when {@code
   * raw} is null.
   */
  private static String render(Snapshot s, String field, String raw) {
    MemberProfile p = s.profile;
    JsonWriter w = new JsonWriter(field, raw);
    w.field("schemaVersion", "1");
    w.field("memberId", str(p.memberId()));
    w.field("email", str(p.email()));
    w.field("firstName", str(s.person.firstName()));
    w.field("lastName", str(s.person.lastName()));
    w.field("memberSince", str(s.person.memberSince().toString()));
    w.field("optIn", Boolean.toString(p.optIn()));
    w.field("suburb", str(p.suburb()));
    w.field("postcode", str(p.postcode()));
    w.field("state", str(p.state().wire()));
    w.field("intent", str(p.intent().wire()));
    w.field("propertyType", str(p.propertyType().wire()));
    w.field("bedrooms", Integer.toString(p.bedrooms()));
    w.field("priceMin", Long.toString(p.priceMin()));
    w.field("priceMax", Long.toString(p.priceMax()));
    w.field("lastActive", str(p.lastActive().toString()));
    StringBuilder a = new StringBuilder(80 * p.activity().size() + 2).append('[');
    for (int k = 0; k < p.activity().size(); k++) {
      Activity e = p.activity().get(k);
      if (k > 0) {
        a.append(',');
      }
      a.append("{\"type\":").append(str(e.type().wire()))
          .append(",\"listingId\":").append(str(e.listingId()))
          .append(",\"at\":").append(str(e.at().toString())).append('}');
    }
    w.field("activity", a.append(']').toString());
    w.field("source", str(s.source));
    w.field("preferences", s.preferences);
    return w.close();
  }

  private static final class JsonWriter {
    private final StringBuilder b = new StringBuilder(900).append('{');
    private final String overrideField;
    private final String overrideRaw;

    JsonWriter(String overrideField, String overrideRaw) {
      this.overrideField = overrideField;
      this.overrideRaw = overrideRaw;
    }

    void field(String name, String rawValue) {
      String v = name.equals(overrideField) ? overrideRaw : rawValue;
      if (v == null) {
        return;
      }
      if (b.length() > 1) {
        b.append(',');
      }
      b.append('"').append(name).append("\":").append(v);
    }

    String close() {
      return b.append('}').toString();
    }
  }

  /** JSON string literal; generated values are ASCII without control characters. */
  private static String str(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  // ---------------------------------------------------------------------------------------------
  // bad files: a realistic good snapshot, damaged in one way

  private static final String[] REQUIRED = {"memberId", "email", "optIn", "suburb", "postcode",
      "state", "intent", "propertyType", "bedrooms", "priceMin", "priceMax", "lastActive"};

  private byte[] badBody(int index, RejectionKind kind, boolean gzip) {
    SplitMix64 r = new SplitMix64(SplitMix64.hash(spec.seed(), S_VARIANT, index));
    // a bad file is a first snapshot of a member of its own, never a repeat
    Snapshot s = snapshot(index);
    MemberProfile p = s.profile;
    String good = render(s, null, null);
    byte[] body = switch (kind) {
      case NOT_JSON -> ascii(switch (r.nextInt(4)) {
        case 0 -> good.replaceFirst(",\"email\"", " \"email\""); // missing comma
        case 1 -> good.replace('"', '\''); // single quotes
        case 2 -> "memberId,email,optIn\n" + p.memberId() + "," + p.email() + "," + p.optIn()
            + "\n"; // a CSV export
        default -> good + "\n}"; // an extra closing brace
      });
      case TRUNCATED -> ascii(good.substring(0, r.between(good.length() / 3, good.length() - 1)));
      case WRONG_TYPE -> ascii(switch (r.nextInt(6)) {
        case 0 -> render(s, "optIn", str(Boolean.toString(p.optIn())));
        case 1 -> render(s, "bedrooms", str(Integer.toString(p.bedrooms())));
        case 2 -> render(s, "postcode", Integer.toString(Integer.parseInt(p.postcode())));
        case 3 -> render(s, "priceMin", str("$" + p.priceMin()));
        case 4 -> render(s, "lastActive", Long.toString(p.lastActive().toEpochMilli()));
        default -> render(s, "activity", "{}");
      });
      case MISSING_FIELD -> ascii(render(s, r.pick(REQUIRED), null));
      case OUT_OF_RANGE -> ascii(switch (r.nextInt(7)) {
        case 0 -> render(s, "bedrooms", Integer.toString(r.between(11, 40)));
        case 1 -> render(s, "bedrooms", "-1");
        case 2 -> render(s, "priceMin", Long.toString(-r.between(1, 100_000)));
        case 3 -> render(s, "lastActive", str(NEVER));
        case 4 -> render(s, "lastActive", str(Instant.EPOCH.toString())); // an unset date
        case 5 -> render(s, "activity", oneActivity("view", Instant.EPOCH));
        default -> render(s, "priceMin", Long.toString(p.priceMax() + r.between(1, 50) * 1000L));
      });
      case INVALID_VALUE -> ascii(switch (r.nextInt(7)) {
        case 0 -> render(s, "memberId", str(p.memberId().toUpperCase()));
        case 1 -> render(s, "email", str(p.email().replace('@', '.')));
        case 2 -> render(s, "postcode", str(p.postcode() + "0"));
        case 3 -> render(s, "state", str(r.pick(new String[] {"XX", "Victoria", "nsw", "N.S.W."})));
        case 4 -> render(s, "intent", str("lease"));
        case 5 -> render(s, "lastActive", str("yesterday"));
        default -> render(s, "activity", oneActivity("click", p.lastActive()));
      });
      case NOT_AN_OBJECT -> ascii(switch (r.nextInt(3)) {
        case 0 -> "[" + good + "]";
        case 1 -> "null";
        default -> str(p.memberId());
      });
      case INVALID_UTF8 -> invalidUtf8(s, r);
      case OVERSIZE -> oversize(good, r);
      case EMPTY -> r.chance(0.5) ? new byte[0] : ascii(r.chance(0.5) ? "\n" : "  \r\n\t ");
      case BAD_GZIP -> badGzip(good, r);
    };
    if (kind == RejectionKind.BAD_GZIP || !gzip || (kind == RejectionKind.EMPTY
        && body.length == 0)) {
      return body;
    }
    return gzip(body);
  }

  /** An activity array of one entry, raw JSON. */
  private static String oneActivity(String type, Instant at) {
    return "[{\"type\":" + str(type) + ",\"listingId\":\"l-123456789\",\"at\":" + str(at.toString()) + "}]";
  }

  private static byte[] invalidUtf8(Snapshot s, SplitMix64 r) {
    String marker = "~~~";
    byte[] b = ascii(render(s, "suburb", str(s.profile.suburb() + marker)));
    int at = indexOf(b, ascii(marker));
    byte[][] faults = {
        {(byte) 0xE9, 'e', 'e'}, // ISO-8859-1 e-acute, as a legacy export writes it
        {(byte) 0xFF, 'x', 'x'}, // never valid in UTF-8
        {(byte) 0x80, 'x', 'x'}, // a lone continuation byte
        {(byte) 0xC0, (byte) 0xAF, 'x'}, // overlong encoding of '/'
    };
    System.arraycopy(faults[r.nextInt(faults.length)], 0, b, at, 3);
    return b;
  }

  private static byte[] oversize(String good, SplitMix64 r) {
    long target = OVERSIZE_LIMIT + 1 + r.nextInt(4096);
    String head = good.substring(0, good.length() - 1) + ",\"notes\":\"";
    StringBuilder b = new StringBuilder((int) target + 16).append(head);
    String words = "called about the open home, wants a second inspection; ";
    while (b.length() < target - 2) {
      b.append(words, 0, (int) Math.min(words.length(), target - 2 - b.length()));
    }
    return ascii(b.append("\"}").toString());
  }

  private static byte[] badGzip(String good, SplitMix64 r) {
    byte[] plain = ascii(good);
    byte[] gz = gzip(plain);
    return switch (r.nextInt(3)) {
      case 0 -> java.util.Arrays.copyOf(gz, gz.length / 2); // upload cut short
      case 1 -> plain; // named .gz but never compressed
      default -> { // damaged CRC in the trailer
        gz[gz.length - 8] ^= 0x5A;
        yield gz;
      }
    };
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (haystack[i + k] != needle[k]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("marker not found");
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Deterministic gzip (Java writes a fixed header with mtime 0); public for tests that write files of their own. */
  public static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length / 2 + 64);
    try (GZIPOutputStream z = new GZIPOutputStream(out, 8192)) {
      z.write(plain);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in-memory streams do not fail
    }
    return out.toByteArray();
  }
}
