package audience.bench;

import audience.aws.AwsClients;
import audience.config.Settings;
import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;
import audience.segments.Engagement;
import audience.segments.GenerationId;
import audience.segments.Manifest;
import audience.segments.ManifestStore;
import audience.segments.PriceBand;
import audience.segments.PriceBands;
import audience.segments.SegmentKey;
import audience.segments.SegmentMetadata;
import audience.store.MemberStore;
import audience.store.SegmentStore;
import software.amazon.awssdk.core.async.AsyncRequestBody;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * The bookings benchmark's set-up, written straight to the stores (no ingestion, nothing timed): N opted-in members of
 * ONE segment ({@link #SEGMENT_STATE} {@link #SEGMENT_SUBURB}, {@link #SEGMENT_INTENT} {@link #SEGMENT_PROPERTY_TYPE},
 * a price in the band of {@link #SEGMENT_PRICE}, active within the window), {@link #OTHER_MEMBERS} members of other
 * segments, and the segment as a generation would have left it: its metadata document at its key in the segments
 * bucket, its active row in the segments read model, the generation's row and a manifest published as
 * {@code manifest/latest.json}, so that the service's segment lookup finds it bookable.
 *
 * <p>Member ids: {@code m-s} (the segment) or {@code m-o} (the others) and the index in base 36, zero-padded to
 * {@link #ID_DIGITS} digits: the contract's {@code m-[0-9a-z]{4,32}}, and a member's segment is told by its id alone.
 */
final class BookingsDataset {
  static final AuState SEGMENT_STATE = AuState.NSW;
  static final String SEGMENT_SUBURB = "Surry Hills";
  static final String SEGMENT_POSTCODE = "2010";
  static final Intent SEGMENT_INTENT = Intent.BUY;
  static final PropertyType SEGMENT_PROPERTY_TYPE = PropertyType.APARTMENT;
  /** A price inside the segment's band; the band is the service's own ({@code audience.segments.price-bands}). */
  static final long SEGMENT_PRICE = 850_000;
  /** Members of other segments (other suburbs, intents or property types), left out by the export's filter. */
  static final int OTHER_MEMBERS = 400;
  static final String SEGMENT_ID_PREFIX = "m-s";
  static final String OTHER_ID_PREFIX = "m-o";
  static final int ID_DIGITS = 7;
  private static final int ID_RADIX = 36;
  static final String EMAIL_DOMAIN = "@example.com";
  /** The run the set-up's members and generation are recorded under (the generation id derives from it). */
  static final String SOURCE_RUN = "bench-bookings";
  private static final String SOURCE_PREFIX = "bench-bookings/";
  private static final String SOURCE_SUFFIX = ".json";
  /**
   * Snapshots per {@link MemberStore#write}: each is one conditional PutItem, and the batch's member-files rows are one
   * BatchWriteItem, which takes at most 25 items.
   */
  static final int WRITE_BATCH = 25;
  /** {@link MemberStore#write} calls in flight at once, as the ingestion's chunks have. */
  static final int WRITES_IN_FLIGHT = 16;
  /** {@code priceMin} and {@code priceMax} are this far either side of the banding price (their midpoint). */
  private static final long PRICE_HALF_SPREAD = 25_000;
  private static final int MAX_BEDROOMS = 10;
  /** Others: suburbs, intents and property types cycled through, none making the segment's key. */
  private static final String[] OTHER_SUBURBS = {"Bondi", "Newtown", "Manly", "Glebe"};
  private static final String OTHER_POSTCODE = "2000";

  private final int members;
  private final long seed;
  private final Settings settings;
  private final PriceBands bands;
  private final PriceBand band;
  private final Instant dataTime;
  private final Duration window;

  /**
   * @param dataTime the generation's data time: the activity window ends there, every member is active within it
   */
  BookingsDataset(int members, long seed, Settings settings, Instant dataTime) {
    this.members = members;
    this.seed = seed;
    this.settings = settings;
    this.bands = PriceBands.from(settings.segments());
    this.band = bands.bandOf(SEGMENT_INTENT, SEGMENT_PRICE);
    this.dataTime = dataTime.truncatedTo(ChronoUnit.SECONDS);
    this.window = settings.segments().activityWindow();
  }

  /** What the set-up wrote: the segment to book, and how long writing took. */
  record Written(String segmentId, String generationId, String metadataKey, long members, long others,
                 long membersMs, long segmentMs) {}

  static String segmentMemberId(int i) {
    return SEGMENT_ID_PREFIX + pad(Integer.toString(i, ID_RADIX));
  }

  static String otherMemberId(int i) {
    return OTHER_ID_PREFIX + pad(Integer.toString(i, ID_RADIX));
  }

  /** Whether a member id is one of the segment's (not one of the others'). */
  static boolean isSegmentMember(String memberId) {
    return memberId.startsWith(SEGMENT_ID_PREFIX);
  }

  private static String pad(String digits) {
    return "0".repeat(Math.max(0, ID_DIGITS - digits.length())) + digits;
  }

  SegmentKey segmentKey() {
    return new SegmentKey(SEGMENT_STATE, SEGMENT_SUBURB, SEGMENT_INTENT, SEGMENT_PROPERTY_TYPE, band);
  }

  /** Segment member {@code i}: opted in, the segment's key, banding price in the band, active within the window. */
  MemberProfile segmentMember(int i, SplittableRandom r) {
    long price = band.low() + r.nextLong(bandWidth());
    return profile(segmentMemberId(i), true, SEGMENT_SUBURB, SEGMENT_POSTCODE, SEGMENT_INTENT, SEGMENT_PROPERTY_TYPE,
        r.nextInt(MAX_BEDROOMS + 1), price, activeAt(r));
  }

  /** Another member: another suburb, intent or property type; opted in and active, but not the segment's. */
  MemberProfile otherMember(int i, SplittableRandom r) {
    String suburb = OTHER_SUBURBS[i % OTHER_SUBURBS.length];
    Intent intent = Intent.values()[i % Intent.values().length];
    PropertyType type = PropertyType.values()[i % PropertyType.values().length];
    return profile(otherMemberId(i), true, suburb, OTHER_POSTCODE, intent, type, r.nextInt(MAX_BEDROOMS + 1),
        band.low() + r.nextLong(bandWidth()), activeAt(r));
  }

  /** The band's width to draw prices from (an open band: as wide as the spread allows). */
  private long bandWidth() {
    return band.open() ? PRICE_HALF_SPREAD : band.high() - band.low();
  }

  private Instant activeAt(SplittableRandom r) {
    return dataTime.minusSeconds(r.nextLong(window.toSeconds() + 1));
  }

  private static MemberProfile profile(String id, boolean optIn, String suburb, String postcode, Intent intent,
                                       PropertyType type, int bedrooms, long price, Instant lastActive) {
    return new MemberProfile(id, id + EMAIL_DOMAIN, optIn, suburb, postcode, SEGMENT_STATE, intent, type, bedrooms,
        price - PRICE_HALF_SPREAD, price + PRICE_HALF_SPREAD, lastActive, List.of());
  }

  /** Writes the members and the segment; returns the segment to book. */
  Written write(AwsClients aws, Clock clock, LongConsumer progress) {
    long t0 = System.nanoTime();
    MemberStore store = MemberStore.of(aws.dynamo(), settings, clock);
    SplittableRandom random = new SplittableRandom(seed);
    int[] bedrooms = new int[MAX_BEDROOMS + 1];
    long[] buckets = new long[bands.buckets()];
    Writes writes = new Writes(store, progress);
    List<MemberStore.Snapshot> batch = new ArrayList<>(WRITE_BATCH);
    for (int i = 0; i < members; i++) {
      MemberProfile p = segmentMember(i, random);
      bedrooms[p.bedrooms()]++;
      buckets[bands.bucketOf(SEGMENT_INTENT, band, PriceBands.bandingPrice(p.priceMin(), p.priceMax()))]++;
      batch.add(snapshot(p));
      if (batch.size() == WRITE_BATCH) batch = writes.submit(batch);
    }
    for (int i = 0; i < OTHER_MEMBERS; i++) {
      batch.add(snapshot(otherMember(i, random)));
      if (batch.size() == WRITE_BATCH) batch = writes.submit(batch);
    }
    writes.submit(batch);
    writes.drain();
    long membersMs = IngestBenchmark.millisSince(t0);

    long t1 = System.nanoTime();
    SegmentMetadata metadata = metadata(bedrooms, buckets, clock.instant());
    String metadataKey = Manifest.metadataKey(metadata.generationId(), metadata.segmentId());
    byte[] json = metadata.toJson();
    var r = settings.resources();
    aws.s3().putObject(b -> b.bucket(r.segmentsBucket()).key(metadataKey).contentType("application/json"),
        AsyncRequestBody.fromBytes(json)).join();
    SegmentStore segments = new SegmentStore(aws.dynamo(), r.segmentsTable(), settings.ingestion().retry());
    SegmentStore.SegmentRow row = new SegmentStore.SegmentRow(metadata.generationId(), metadata.segmentId(),
        metadata.state(), metadata.suburb(), metadata.intent(), metadata.propertyType(), metadata.priceBand(),
        metadata.audienceSize(), metadataKey, SegmentMetadata.checksum(json), json.length, SOURCE_RUN,
        metadata.generatedAt(), SegmentStore.ACTIVE);
    segments.put(row).join();
    Manifest manifest = Manifest.of(metadata.generationId(), SOURCE_RUN, dataTime, metadata.generatedAt(),
        metadata.generatedAt(), List.of(row));
    segments.putGeneration(new SegmentStore.GenerationRow(metadata.generationId(), SOURCE_RUN,
        SegmentStore.GenerationRow.COMPLETED, 1, Manifest.key(metadata.generationId()), metadata.generatedAt())).join();
    new ManifestStore(aws.s3(), r.segmentsBucket()).publish(manifest).join();
    return new Written(metadata.segmentId(), metadata.generationId(), metadataKey, members, OTHER_MEMBERS, membersMs,
        IngestBenchmark.millisSince(t1));
  }

  private static MemberStore.Snapshot snapshot(MemberProfile p) {
    return new MemberStore.Snapshot(p, SOURCE_PREFIX + p.memberId() + SOURCE_SUFFIX, SOURCE_RUN);
  }

  /** The member writes in flight: at most {@link #WRITES_IN_FLIGHT}; each must store every snapshot (fresh table). */
  private static final class Writes {
    private final MemberStore store;
    private final LongConsumer progress;
    private final Deque<CompletableFuture<List<MemberStore.Written>>> inFlight = new ArrayDeque<>();
    private long written;

    Writes(MemberStore store, LongConsumer progress) {
      this.store = store;
      this.progress = progress;
    }

    /** Sends the batch (waiting for the oldest write when too many are in flight); a new empty batch. */
    List<MemberStore.Snapshot> submit(List<MemberStore.Snapshot> batch) {
      if (!batch.isEmpty()) {
        if (inFlight.size() >= WRITES_IN_FLIGHT) settle(inFlight.removeFirst());
        inFlight.addLast(store.write(batch));
      }
      return new ArrayList<>(WRITE_BATCH);
    }

    void drain() {
      while (!inFlight.isEmpty()) settle(inFlight.removeFirst());
    }

    private void settle(CompletableFuture<List<MemberStore.Written>> write) {
      List<MemberStore.Written> out = write.join();
      for (MemberStore.Written w : out) {
        if (!(w instanceof MemberStore.Written.Current)) {
          throw new IllegalStateException("set-up: member " + w.snapshot().profile().memberId() + " not stored: " + w);
        }
      }
      written += out.size();
      progress.accept(written);
    }
  }

  /** The segment's metadata document, as the generation would have written it for these members. */
  private SegmentMetadata metadata(int[] bedrooms, long[] buckets, Instant generatedAt) {
    SegmentKey key = segmentKey();
    List<PriceBand> ranges = bands.bucketRanges(SEGMENT_INTENT, band);
    List<SegmentMetadata.PriceBucket> distribution = new ArrayList<>(ranges.size());
    for (int i = 0; i < ranges.size(); i++) {
      PriceBand b = ranges.get(i);
      distribution.add(new SegmentMetadata.PriceBucket(b.low(), b.open() ? null : b.high(), buckets[i]));
    }
    List<Long> beds = new ArrayList<>(Collections.nCopies(bedrooms.length, 0L));
    for (int i = 0; i < bedrooms.length; i++) beds.set(i, (long) bedrooms[i]);
    return new SegmentMetadata(SegmentMetadata.FORMAT_VERSION, key.id(), SEGMENT_STATE.wire(), SEGMENT_SUBURB,
        SEGMENT_INTENT.wire(), SEGMENT_PROPERTY_TYPE.wire(), band.label(), band.low(), band.open() ? null : band.high(),
        members, beds, distribution, Engagement.NONE, dataTime.minus(window), dataTime,
        GenerationId.of(SOURCE_RUN).value(), SOURCE_RUN, generatedAt);
  }
}
