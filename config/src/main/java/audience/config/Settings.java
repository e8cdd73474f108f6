package audience.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every setting the service reads, typed. Loaded in layers, first wins:
 * explicit overrides, system properties, the profile overlay ({@code audience-<profile>.conf}),
 * the cluster overlay when {@code audience.cluster = true}, {@code application.conf},
 * {@code audience-pekko.conf} (the actors module's Pekko settings: cluster, sharding, serialization),
 * {@code audience-persistence.conf} (the persistence module's journal and snapshot plugins), then every
 * {@code reference.conf}.
 */
public record Settings(
    String profile,
    boolean cluster,
    AwsSettings aws,
    Resources resources,
    MembersSettings members,
    IngestionSettings ingestion,
    SegmentSettings segments,
    BookingSettings bookings,
    TriggerSettings trigger,
    HttpSettings http,
    ApiSettings api,
    ManagementSettings management,
    LoggingSettings logging,
    Config config) {

  public static final String PROFILE_LOCAL = "local";
  public static final String PROFILE_AWS = "aws";

  /** Loads with no overrides. */
  public static Settings load() {
    return load(ConfigFactory.empty());
  }

  /** Loads the layers with {@code overrides} on top (e.g. emulator endpoints, an HTTP port). */
  public static Settings load(Config overrides) {
    return fromConfig(layered(overrides));
  }

  /** Convenience: overrides as a flat map of paths to values. */
  public static Settings load(Map<String, ?> overrides) {
    return load(ConfigFactory.parseMap(overrides));
  }

  /** The full, resolved config (also handed to the ActorSystem). */
  public static Config layered(Config overrides) {
    ClassLoader loader = Settings.class.getClassLoader();
    ConfigParseOptions options = ConfigParseOptions.defaults().setClassLoader(loader);
    Config reference = ConfigFactory.parseResources(loader, "reference.conf", options);
    Config base = ConfigFactory.parseResourcesAnySyntax(loader, "application", options)
        .withFallback(ConfigFactory.parseResourcesAnySyntax(loader, "audience-pekko", options))
        .withFallback(ConfigFactory.parseResourcesAnySyntax(loader, "audience-persistence", options))
        .withFallback(reference);
    Config env = overrides.withFallback(ConfigFactory.systemProperties());
    // Resolve once just to learn the profile and cluster flag, then stack the overlays.
    Config probe = env.withFallback(base).resolve(ConfigResolveOptions.defaults().setAllowUnresolved(true));
    String profile = probe.getString("audience.profile");
    if (!profile.equals(PROFILE_LOCAL) && !profile.equals(PROFILE_AWS)) {
      throw new IllegalArgumentException(
          "audience.profile must be 'local' or 'aws', not '" + profile + "'");
    }
    Config stacked = env.withFallback(ConfigFactory.parseResourcesAnySyntax(loader, "audience-" + profile, options));
    if (probe.getBoolean("audience.cluster")) {
      stacked = stacked.withFallback(ConfigFactory.parseResourcesAnySyntax(loader, "audience-cluster", options));
    }
    return stacked.withFallback(base).resolve();
  }

  public static Settings fromConfig(Config c) {
    Config a = c.getConfig("audience");
    return new Settings(
        a.getString("profile"),
        a.getBoolean("cluster"),
        AwsSettings.from(a.getConfig("aws")),
        Resources.from(a.getConfig("resources")),
        MembersSettings.from(a.getConfig("members")),
        IngestionSettings.from(a.getConfig("ingestion")),
        SegmentSettings.from(a.getConfig("segments")),
        BookingSettings.from(a.getConfig("bookings")),
        TriggerSettings.from(a.getConfig("trigger")),
        HttpSettings.from(a.getConfig("http")),
        ApiSettings.from(a.getConfig("api"), a.getString("profile")),
        ManagementSettings.from(a.getConfig("management")),
        LoggingSettings.from(a.getConfig("logging")),
        c);
  }

  /** How every AWS client is built; see {@code audience.aws} in reference.conf. */
  public record AwsSettings(
      String region, Endpoints endpoints, String accessKeyId, String secretAccessKey,
      int maxConcurrency, Duration apiCallTimeout) {
    static AwsSettings from(Config c) {
      return new AwsSettings(
          c.getString("region"),
          Endpoints.from(c.getConfig("endpoints")),
          c.getString("access-key-id"),
          c.getString("secret-access-key"),
          c.getInt("max-concurrency"),
          c.getDuration("api-call-timeout"));
    }

    /** True when both static keys are set; otherwise the default provider chain is used. */
    public boolean staticCredentials() {
      return !accessKeyId.isEmpty() && !secretAccessKey.isEmpty();
    }
  }

  /** Endpoint overrides; an empty string means the real AWS endpoint. */
  public record Endpoints(String s3, String dynamodb, String kinesis, String sns, String sqs) {
    /** Config overrides that point every client at these endpoints (null or "" keeps the AWS default). */
    public Map<String, Object> overrides() {
      Map<String, Object> m = new java.util.HashMap<>();
      m.put("audience.aws.endpoints.s3", nonNull(s3));
      m.put("audience.aws.endpoints.dynamodb", nonNull(dynamodb));
      m.put("audience.aws.endpoints.kinesis", nonNull(kinesis));
      m.put("audience.aws.endpoints.sns", nonNull(sns));
      m.put("audience.aws.endpoints.sqs", nonNull(sqs));
      return m;
    }

    private static String nonNull(String s) {
      return s == null ? "" : s;
    }

    static Endpoints from(Config c) {
      return new Endpoints(c.getString("s3"), c.getString("dynamodb"), c.getString("kinesis"),
          c.getString("sns"), c.getString("sqs"));
    }
  }

  public record Resources(
      String rawBucket, String membersTable, String memberFilesTable, String suppressionTable, String quarantineTable,
      String runsTable, String journalTable, String snapshotTable, String triggerTopic, String triggerQueue,
      String notificationsTopic, String segmentsBucket, String segmentsStream, String segmentsTable,
      String audiencesBucket, String bookingsTable, boolean bootstrap) {
    static Resources from(Config c) {
      return new Resources(
          c.getString("raw-bucket"), c.getString("members-table"), c.getString("member-files-table"),
          c.getString("suppression-table"), c.getString("quarantine-table"),
          c.getString("runs-table"), c.getString("journal-table"), c.getString("snapshot-table"),
          c.getString("trigger-topic"), c.getString("trigger-queue"), c.getString("notifications-topic"),
          c.getString("segments-bucket"), c.getString("segments-stream"), c.getString("segments-table"),
          c.getString("audiences-bucket"), c.getString("bookings-table"), c.getBoolean("bootstrap"));
    }
  }

  /** The member store; see {@code audience.members} in reference.conf. */
  public record MembersSettings(Duration historyRetention) {
    static MembersSettings from(Config c) {
      return new MembersSettings(c.getDuration("history-retention"));
    }
  }

  /**
   * The segments stream (Kinesis); see {@code audience.segments} in reference.conf. {@code shards}: of a stream the
   * bootstrap creates; {@code readerBatchLimit} and {@code idlePoll}: one shard's GetRecords polling;
   * {@code publishMaxRecords} and {@code publishMaxBytes}: one PutRecords call.
   */
  /** How a run's segment generation proceeds ({@code audience.segments.generator}). */
  public record GeneratorSettings(Duration pollInterval, Duration retryBackoff, Duration wakeInterval,
                                  Duration askTimeout) {
    static GeneratorSettings from(Config c) {
      return new GeneratorSettings(c.getDuration("poll-interval"), c.getDuration("retry-backoff"),
          c.getDuration("wake-interval"), c.getDuration("ask-timeout"));
    }
  }

  /** The segments Kinesis stream: its shards, how it is read and written ({@code audience.segments.stream}). */
  public record StreamSettings(
      int shards, int readerBatchLimit, Duration idlePoll, int publishMaxRecords, long publishMaxBytes, Retry retry) {
    /** Kinesis limits: GetRecords Limit, records and bytes of one PutRecords call. */
    public static final int MAX_GET_RECORDS_LIMIT = 10_000;
    public static final int MAX_PUT_RECORDS = 500;
    public static final long MAX_PUT_BYTES = 5L * 1024 * 1024;
    private static final String PATH = "audience.segments.stream.";

    static StreamSettings from(Config c) {
      StreamSettings s = new StreamSettings(c.getInt("shards"), c.getInt("reader.batch-limit"),
          c.getDuration("reader.idle-poll"), c.getInt("publisher.max-batch-records"),
          c.getBytes("publisher.max-batch-bytes"), Retry.from(c.getConfig("retry")));
      s.validate();
      return s;
    }

    void validate() {
      require(shards >= 1, "shards must be at least 1");
      require(readerBatchLimit >= 1 && readerBatchLimit <= MAX_GET_RECORDS_LIMIT,
          "reader.batch-limit must be 1.." + MAX_GET_RECORDS_LIMIT);
      require(!idlePoll.isNegative(), "reader.idle-poll must not be negative");
      require(publishMaxRecords >= 1 && publishMaxRecords <= MAX_PUT_RECORDS,
          "publisher.max-batch-records must be 1.." + MAX_PUT_RECORDS);
      require(publishMaxBytes >= 1 && publishMaxBytes <= MAX_PUT_BYTES,
          "publisher.max-batch-bytes must be 1.." + MAX_PUT_BYTES);
      require(retry.maxAttempts() >= 1, "retry.max-attempts must be at least 1");
    }

    private static void require(boolean ok, String message) {
      if (!ok) throw new IllegalArgumentException(PATH + message);
    }
  }

  public record Retry(int maxAttempts, Duration minBackoff, Duration maxBackoff) {
    static Retry from(Config c) {
      return new Retry(c.getInt("max-attempts"), c.getDuration("min-backoff"), c.getDuration("max-backoff"));
    }

    /** Exponential backoff for the given attempt (1-based), capped, without jitter. */
    public Duration backoff(int attempt) {
      long millis = minBackoff.toMillis() << Math.min(Math.max(attempt - 1, 0), 20);
      return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }
  }

  /**
   * {@code maxClockSkew}: how far ahead of now a file's instants may be (data contract v1, docs/contract.md).
   * What runs may be started for: {@code allowedSources} (see {@link AllowedSource}); an empty list allows nothing.
   * {@code quarantineRetention}: how long a quarantine row is kept (DynamoDB TTL) before it expires.
   */
  public record IngestionSettings(
      int listPageSize, int chunkSize, int maxChunksInFlight, int fileParallelism,
      int writeBatchSize, int writeParallelism, long maxFileBytes, Duration maxClockSkew, int workers,
      Duration chunkTimeout, Retry retry, int snapshotEvery, int logEveryChunks, Duration readModelInterval,
      Duration askTimeout, Duration wakeInterval, int isolateAfterAttempts, int stallAfterAttempts,
      Duration resendInterval, List<AllowedSource> allowedSources, Duration quarantineRetention) {
    static IngestionSettings from(Config c) {
      IngestionSettings s = new IngestionSettings(
          c.getInt("list-page-size"), c.getInt("chunk-size"), c.getInt("max-chunks-in-flight"),
          c.getInt("file-parallelism"), c.getInt("write-batch-size"), c.getInt("write-parallelism"),
          c.getBytes("max-file-bytes"), c.getDuration("max-clock-skew"), c.getInt("workers"),
          c.getDuration("chunk-timeout"),
          Retry.from(c.getConfig("retry")), c.getInt("snapshot-every"), c.getInt("log-every-chunks"),
          c.getDuration("read-model-interval"), c.getDuration("ask-timeout"), c.getDuration("wake-interval"),
          c.getInt("isolate-after-attempts"), c.getInt("stall-after-attempts"), c.getDuration("resend-interval"),
          AllowedSource.listFrom(c), c.getDuration("quarantine-retention"));
      s.validate();
      return s;
    }

    void validate() {
      require(listPageSize >= 1 && listPageSize <= 1000, "list-page-size must be 1..1000");
      require(chunkSize >= 1, "chunk-size must be at least 1");
      require(maxChunksInFlight >= 1, "max-chunks-in-flight must be at least 1");
      require(fileParallelism >= 1, "file-parallelism must be at least 1");
      require(writeBatchSize >= 1 && writeBatchSize <= 25, "write-batch-size must be 1..25");
      require(writeParallelism >= 1, "write-parallelism must be at least 1");
      require(!maxClockSkew.isNegative(), "max-clock-skew must not be negative");
      require(workers >= 1, "workers must be at least 1");
      require(isolateAfterAttempts >= 1, "isolate-after-attempts must be at least 1");
      require(stallAfterAttempts >= 1, "stall-after-attempts must be at least 1");
      require(!quarantineRetention.isNegative() && !quarantineRetention.isZero(),
          "quarantine-retention must be positive, got " + quarantineRetention);
    }

    private static void require(boolean ok, String message) {
      if (!ok) throw new IllegalArgumentException("audience.ingestion." + message);
    }
  }

  /**
   * One entry of {@code audience.ingestion.allowed-sources}: a bucket and the glob patterns a run's prefix must match
   * ({@code *} any characters, {@code /} included; {@code ?} one character).
   */
  public record AllowedSource(String bucket, List<String> prefixes) {
    static final String KEY = "allowed-sources";

    public AllowedSource {
      prefixes = List.copyOf(prefixes);
    }

    static List<AllowedSource> listFrom(Config c) {
      List<? extends Config> entries = c.getConfigList(KEY);
      List<AllowedSource> sources = new java.util.ArrayList<>(entries.size());
      for (int i = 0; i < entries.size(); i++) {
        Config e = entries.get(i);
        String at = "audience.ingestion." + KEY + "[" + i + "]";
        if (!e.hasPath("bucket") || e.getString("bucket").isBlank()) {
          throw new IllegalArgumentException(at + ".bucket is required (a bucket name)");
        }
        if (!e.hasPath("prefixes") || e.getStringList("prefixes").isEmpty()) {
          throw new IllegalArgumentException(at + ".prefixes must list at least one pattern; [\"*\"] allows the "
              + "whole bucket " + e.getString("bucket"));
        }
        sources.add(new AllowedSource(e.getString("bucket"), e.getStringList("prefixes")));
      }
      return List.copyOf(sources);
    }
  }

  /**
   * Segment generation; see {@code audience.segments} in reference.conf and docs/segments.md. {@code priceBands}: per
   * intent (its wire name, e.g. {@code rent}), the ascending lower bounds of its bands, the first 0.
   */
  public record SegmentSettings(
      int minAudience, Duration activityWindow, int scanSegments, int priceBuckets,
      Map<String, List<Long>> priceBands, StreamSettings stream, GeneratorSettings generator,
      ConsumerSettings consumer) {
    static final String PRICE_BANDS = "price-bands";

    public SegmentSettings {
      Map<String, List<Long>> copy = new java.util.TreeMap<>();
      priceBands.forEach((intent, bounds) -> copy.put(intent, List.copyOf(bounds)));
      priceBands = java.util.Collections.unmodifiableMap(copy);
    }

    static SegmentSettings from(Config c) {
      Config bands = c.getConfig(PRICE_BANDS);
      Map<String, List<Long>> priceBands = new java.util.TreeMap<>();
      for (String intent : bands.root().keySet()) priceBands.put(intent, bands.getLongList(intent));
      SegmentSettings s = new SegmentSettings(c.getInt("min-audience"), c.getDuration("activity-window"),
          c.getInt("scan-segments"), c.getInt("price-buckets"), priceBands, StreamSettings.from(c.getConfig("stream")),
          GeneratorSettings.from(c.getConfig("generator")), ConsumerSettings.from(c.getConfig("consumer")));
      s.validate();
      return s;
    }

    void validate() {
      require(minAudience >= 1, "min-audience must be at least 1");
      require(!activityWindow.isNegative() && !activityWindow.isZero(),
          "activity-window must be positive, got " + activityWindow);
      require(scanSegments >= 1, "scan-segments must be at least 1");
      require(priceBuckets >= 1, "price-buckets must be at least 1");
      require(!priceBands.isEmpty(), PRICE_BANDS + " must list the bands of every intent");
      priceBands.forEach((intent, bounds) -> {
        String key = PRICE_BANDS + "." + intent;
        require(bounds.size() >= 2, key + " must list at least two lower bounds (one closed band, one open)");
        require(bounds.get(0) == 0, key + " must start at 0, so that every member falls in a band");
        for (int i = 1; i < bounds.size(); i++) {
          require(bounds.get(i) - bounds.get(i - 1) >= priceBuckets, key + " must ascend, each band at least "
              + "price-buckets (" + priceBuckets + ") wide; " + bounds.get(i - 1) + " then " + bounds.get(i));
        }
      });
    }

    private static void require(boolean ok, String message) {
      if (!ok) throw new IllegalArgumentException("audience.segments." + message);
    }
  }

  /**
   * The segments stream's shard consumers ({@code audience.segments.consumer}, docs/segments.md "Consumers"):
   * {@code discoverInterval} between two ListShards of the discovery; {@code effectParallelism}: records of one batch
   * whose effects (S3 PUT, read model row) run at once; {@code restartBackoff}: how long a failed shard stream (or
   * an entity whose journal write failed) waits before it starts again from its checkpoint, doubling up to its
   * max; {@code askTimeout}: a parent's status, a batch's checkpoint; {@code retry}: the S3 and DynamoDB calls of
   * the effects; {@code snapshotEvery}: journalled checkpoints between two snapshots of a consumer.
   */
  public record ConsumerSettings(Duration discoverInterval, int effectParallelism, Duration minRestartBackoff,
                                 Duration maxRestartBackoff, Duration askTimeout, Retry retry, int snapshotEvery) {
    private static final String PATH = "audience.segments.consumer.";

    static ConsumerSettings from(Config c) {
      ConsumerSettings s = new ConsumerSettings(c.getDuration("discover-interval"), c.getInt("effect-parallelism"),
          c.getDuration("restart-backoff.min"), c.getDuration("restart-backoff.max"), c.getDuration("ask-timeout"),
          Retry.from(c.getConfig("retry")), c.getInt("snapshot-every"));
      s.validate();
      return s;
    }

    void validate() {
      require(positive(discoverInterval), "discover-interval must be positive, got " + discoverInterval);
      require(effectParallelism >= 1, "effect-parallelism must be at least 1");
      require(positive(minRestartBackoff), "restart-backoff.min must be positive, got " + minRestartBackoff);
      require(maxRestartBackoff.compareTo(minRestartBackoff) >= 0, "restart-backoff.max must be at least min");
      require(positive(askTimeout), "ask-timeout must be positive, got " + askTimeout);
      require(retry.maxAttempts() >= 1, "retry.max-attempts must be at least 1");
      require(snapshotEvery >= 1, "snapshot-every must be at least 1");
    }

    /** The pause before restart {@code n} (1-based) in a row: min, doubled each time, capped at max. */
    public Duration restartBackoff(int n) {
      return new Retry(1, minRestartBackoff, maxRestartBackoff).backoff(n);
    }

    private static boolean positive(Duration d) {
      return !d.isNegative() && !d.isZero();
    }

    private static void require(boolean ok, String message) {
      if (!ok) throw new IllegalArgumentException(PATH + message);
    }
  }

  /**
   * A booking's audience file ({@code audience.bookings.export}): {@code partSize}, the bytes of every multipart part
   * but the last. {@link #from} holds it to S3's limits; a test may build the record directly with a smaller size
   * for an S3 emulator that does not enforce them.
   */
  public record ExportSettings(long partSize) {
    /** S3's limits on a part of a multipart upload (all but the last part) and on the number of parts. */
    public static final long MIN_PART_BYTES = 5L * 1024 * 1024;
    public static final long MAX_PART_BYTES = 5L * 1024 * 1024 * 1024;
    public static final int MAX_PARTS = 10_000;
    private static final String PATH = "audience.bookings.export.";

    static ExportSettings from(Config c) {
      ExportSettings s = new ExportSettings(c.getBytes("part-size"));
      s.validate();
      return s;
    }

    void validate() {
      if (partSize < MIN_PART_BYTES || partSize > MAX_PART_BYTES) {
        throw new IllegalArgumentException(PATH + "part-size must be " + MIN_PART_BYTES + ".." + MAX_PART_BYTES
            + " bytes (S3's part limits), got " + partSize);
      }
    }
  }

  public record TriggerSettings(boolean enabled, Duration waitTime, int maxMessages, Duration visibilityTimeout) {
    static TriggerSettings from(Config c) {
      return new TriggerSettings(c.getBoolean("enabled"), c.getDuration("wait-time"),
          c.getInt("max-messages"), c.getDuration("visibility-timeout"));
    }
  }

  /** Bookings ({@code audience.bookings} in reference.conf): the EDM platform audiences are imported into. */
  public record BookingSettings(EdmSettings edm, ExportSettings export, CreatorSettings creator,
                                UploadSettings upload, int maxAttempts, Duration minBackoff, Duration maxBackoff,
                                Duration deadlineCheck, Duration wakeInterval, Duration wakeFailedWithin,
                                Duration askTimeout, Duration latestManifestTtl, Duration rowPollInterval) {
    static BookingSettings from(Config c) {
      BookingSettings s = new BookingSettings(EdmSettings.from(c.getConfig("edm")),
          ExportSettings.from(c.getConfig("export")), CreatorSettings.from(c.getConfig("creator")),
          UploadSettings.from(c.getConfig("upload")), c.getInt("max-attempts"), c.getDuration("min-backoff"),
          c.getDuration("max-backoff"), c.getDuration("deadline-check"), c.getDuration("wake-interval"),
          c.getDuration("wake-failed-within"), c.getDuration("ask-timeout"), c.getDuration("latest-manifest-ttl"),
          c.getDuration("row-poll-interval"));
      if (s.maxAttempts() < 1) throw new IllegalArgumentException("audience.bookings.max-attempts must be at least 1");
      return s;
    }
  }

  /** When the booking creator runs ({@code audience.bookings.creator}). */
  public record CreatorSettings(List<java.time.LocalTime> times, java.time.ZoneId zone, Duration retryBackoff) {
    static CreatorSettings from(Config c) {
      List<java.time.LocalTime> times = new java.util.ArrayList<>();
      for (String t : c.getStringList("times")) {
        try {
          times.add(java.time.LocalTime.parse(t));
        } catch (java.time.format.DateTimeParseException e) {
          throw new IllegalArgumentException("audience.bookings.creator.times: " + t + " is not a time of day (HH:MM)");
        }
      }
      if (times.isEmpty()) throw new IllegalArgumentException("audience.bookings.creator.times must not be empty");
      try {
        return new CreatorSettings(List.copyOf(times), java.time.ZoneId.of(c.getString("zone")),
            c.getDuration("retry-backoff"));
      } catch (java.time.DateTimeException e) {
        throw new IllegalArgumentException("audience.bookings.creator.zone: " + e.getMessage());
      }
    }
  }

  /** How an audience file is uploaded to the EDM platform ({@code audience.bookings.upload}). */
  public record UploadSettings(int chunkSize, int maxAttempts, Duration minBackoff, Duration maxBackoff,
                               Duration pollInterval, Duration maxPollInterval, int parallelJobs) {
    /** The platform takes at most this many profiles per import job (docs/edm-platform.md). */
    public static final int MAX_CHUNK = 10_000;

    static UploadSettings from(Config c) {
      UploadSettings s = new UploadSettings(c.getInt("chunk-size"), c.getInt("max-attempts"),
          c.getDuration("min-backoff"), c.getDuration("max-backoff"), c.getDuration("poll-interval"),
          c.getDuration("max-poll-interval"), c.getInt("parallel-jobs"));
      if (s.parallelJobs() < 1) {
        throw new IllegalArgumentException("audience.bookings.upload.parallel-jobs must be at least 1");
      }
      if (s.chunkSize() < 1 || s.chunkSize() > MAX_CHUNK) {
        throw new IllegalArgumentException("audience.bookings.upload.chunk-size must be 1.." + MAX_CHUNK);
      }
      if (s.maxAttempts() < 1) {
        throw new IllegalArgumentException("audience.bookings.upload.max-attempts must be at least 1");
      }
      return s;
    }
  }

  /**
   * The EDM platform's API ({@code audience.bookings.edm}, docs/edm-platform.md): {@code baseUrl} ("" when none is
   * configured), the {@code apiKey} it is called with (never in {@link #toString()}), and the timeouts of one call.
   */
  public record EdmSettings(String baseUrl, String apiKey, Duration requestTimeout, Duration connectTimeout) {
    private static final String PATH = "audience.bookings.edm.";

    static EdmSettings from(Config c) {
      EdmSettings s = new EdmSettings(c.getString("base-url").trim(), c.getString("api-key"),
          c.getDuration("request-timeout"), c.getDuration("connect-timeout"));
      s.validate();
      return s;
    }

    void validate() {
      require(baseUrl.isEmpty() || baseUrl.startsWith("http://") || baseUrl.startsWith("https://"),
          "base-url must be an http or https URL, or empty");
      require(positive(requestTimeout), "request-timeout must be positive, got " + requestTimeout);
      require(positive(connectTimeout), "connect-timeout must be positive, got " + connectTimeout);
    }

    /** Whether a platform is named: a base URL and an API key. */
    public boolean configured() {
      return !baseUrl.isEmpty() && !apiKey.isEmpty();
    }

    /** Everything but the API key, which is only said to be set or not. */
    @Override
    public String toString() {
      return "EdmSettings[baseUrl=" + baseUrl + ", apiKey=" + (apiKey.isEmpty() ? "(none)" : "(set)")
          + ", requestTimeout=" + requestTimeout + ", connectTimeout=" + connectTimeout + "]";
    }

    private static boolean positive(Duration d) {
      return !d.isNegative() && !d.isZero();
    }

    private static void require(boolean ok, String message) {
      if (!ok) throw new IllegalArgumentException(PATH + message);
    }
  }

  /**
   * The GraphQL API ({@code audience.api}, docs/api.md): how tokens are verified, the limits of a request, the CORS
   * origins and whether the schema may be introspected.
   */
  public record ApiSettings(JwtSettings jwt, ApiLimits limits, List<String> corsAllowedOrigins,
                            boolean introspection, SubscriptionSettings subscriptions, Duration readCacheTtl,
                            int readCacheMaxEntries) {
    public ApiSettings {
      corsAllowedOrigins = List.copyOf(corsAllowedOrigins);
      if (readCacheTtl.isNegative()) throw new IllegalArgumentException("audience.api.read-cache-ttl must not be negative");
      if (readCacheMaxEntries < 1) throw new IllegalArgumentException("audience.api.read-cache-max-entries must be positive");
    }

    static ApiSettings from(Config c, String profile) {
      return new ApiSettings(JwtSettings.from(c.getConfig("jwt"), profile), ApiLimits.from(c.getConfig("limits")),
          c.getStringList("cors-allowed-origins"), c.getBoolean("introspection"),
          SubscriptionSettings.from(c.getConfig("subscriptions")), c.getDuration("read-cache-ttl"),
          c.getInt("read-cache-max-entries"));
    }
  }

  /**
   * GraphQL subscriptions over a WebSocket ({@code audience.api.subscriptions}): the read models' poll interval, the
   * connection_init timeout, operations per connection, the largest client message, the send buffer and the
   * server's keep-alive ping.
   */
  public record SubscriptionSettings(Duration pollInterval, Duration connectionInitTimeout, int maxPerConnection,
                                     long maxMessageSize, int sendBuffer, Duration keepAlive) {
    private static final String PATH = "audience.api.subscriptions.";

    static SubscriptionSettings from(Config c) {
      SubscriptionSettings s = new SubscriptionSettings(c.getDuration("poll-interval"),
          c.getDuration("connection-init-timeout"), c.getInt("max-per-connection"), c.getBytes("max-message-size"),
          c.getInt("send-buffer"), c.getDuration("keep-alive"));
      for (var e : java.util.Map.of("poll-interval", s.pollInterval, "connection-init-timeout",
          s.connectionInitTimeout, "keep-alive", s.keepAlive).entrySet()) {
        if (e.getValue().isNegative() || e.getValue().isZero()) {
          throw new IllegalArgumentException(PATH + e.getKey() + " must be positive");
        }
      }
      if (s.maxPerConnection < 1 || s.sendBuffer < 1 || s.maxMessageSize < 1) {
        throw new IllegalArgumentException(PATH + "max-per-connection, send-buffer and max-message-size must be "
            + "at least 1");
      }
      return s;
    }
  }

  /**
   * Bearer tokens ({@code audience.api.jwt}): the local profile's HS256 {@code localSecret} (never in
   * {@link #toString()}), the aws profile's {@code jwksUrl} (RS256), the issuer and audience every token must carry.
   */
  public record JwtSettings(String localSecret, String jwksUrl, String issuer, String audience, Duration tokenTtl,
                            Duration maxClockSkew) {
    /** HS256 wants a key of at least 256 bits. */
    public static final int MIN_SECRET_BYTES = 32;
    private static final String PATH = "audience.api.jwt.";

    static JwtSettings from(Config c, String profile) {
      JwtSettings s = new JwtSettings(c.getString("local-secret"), c.getString("jwks-url").trim(),
          c.getString("issuer"), c.getString("audience"), c.getDuration("token-ttl"), c.getDuration("max-clock-skew"));
      if (PROFILE_AWS.equals(profile)) {
        require(s.jwksUrl().startsWith("https://") || s.jwksUrl().startsWith("http://") || s.jwksUrl().isEmpty(),
            "jwks-url must be an http(s) URL");
      } else {
        require(s.localSecret().getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= MIN_SECRET_BYTES,
            "local-secret must be at least " + MIN_SECRET_BYTES + " bytes");
      }
      require(!s.issuer().isBlank(), "issuer must not be empty");
      require(!s.audience().isBlank(), "audience must not be empty");
      require(!s.tokenTtl().isNegative() && !s.tokenTtl().isZero(), "token-ttl must be positive");
      require(!s.maxClockSkew().isNegative(), "max-clock-skew must not be negative");
      return s;
    }

    private static void require(boolean ok, String message) {
      if (!ok) throw new IllegalArgumentException(PATH + message);
    }

    @Override
    public String toString() {
      return "JwtSettings[localSecret=" + (localSecret.isEmpty() ? "(none)" : "(set)") + ", jwksUrl=" + jwksUrl
          + ", issuer=" + issuer + ", audience=" + audience + ", tokenTtl=" + tokenTtl + "]";
    }
  }

  /** What one API request may ask ({@code audience.api.limits}). */
  public record ApiLimits(int maxDepth, int maxComplexity, long maxBody, int maxAliases, int maxBatch, int maxTokens,
                          int maxRuleDepth, int maxPageSize, Duration timeout, int rateLimitRequests,
                          Duration rateLimitWindow) {
    private static final String PATH = "audience.api.limits.";

    public static ApiLimits from(Config c) {
      ApiLimits l = new ApiLimits(c.getInt("max-depth"), c.getInt("max-complexity"), c.getBytes("max-body"),
          c.getInt("max-aliases"), c.getInt("max-batch"), c.getInt("max-tokens"), c.getInt("max-rule-depth"),
          c.getInt("max-page-size"), c.getDuration("timeout"), c.getInt("rate-limit.requests"),
          c.getDuration("rate-limit.window"));
      for (var e : java.util.Map.of("max-depth", l.maxDepth, "max-complexity", l.maxComplexity, "max-batch",
          l.maxBatch, "max-tokens", l.maxTokens, "max-rule-depth", l.maxRuleDepth, "max-page-size", l.maxPageSize,
          "rate-limit.requests", l.rateLimitRequests).entrySet()) {
        if (e.getValue() < 1) throw new IllegalArgumentException(PATH + e.getKey() + " must be at least 1");
      }
      if (l.maxAliases < 0) throw new IllegalArgumentException(PATH + "max-aliases must not be negative");
      if (l.maxBody < 1) throw new IllegalArgumentException(PATH + "max-body must be positive");
      if (l.timeout.isNegative() || l.timeout.isZero() || l.rateLimitWindow.isNegative()
          || l.rateLimitWindow.isZero()) {
        throw new IllegalArgumentException(PATH + "timeout and rate-limit.window must be positive");
      }
      return l;
    }
  }

  /** {@code audience.metrics}: whether and where the node serves its meters, how GraphQL operations are tagged. */
  public MetricsSettings metrics() {
    return MetricsSettings.from(config.getConfig("audience.metrics"));
  }

  /** See {@code audience.metrics} in reference.conf. */
  public record MetricsSettings(boolean enabled, String path, int maxGraphQlOperations) {
    static MetricsSettings from(Config c) {
      MetricsSettings m = new MetricsSettings(c.getBoolean("enabled"), c.getString("path"),
          c.getInt("max-graphql-operations"));
      if (m.path.isEmpty() || m.path.contains("/") || m.path.equals("ops")) {
        throw new IllegalArgumentException("audience.metrics.path must be one path segment other than ops, not '"
            + m.path + "'");
      }
      if (m.maxGraphQlOperations < 0) {
        throw new IllegalArgumentException("audience.metrics.max-graphql-operations must not be negative");
      }
      return m;
    }
  }

  /** The HTTP server; {@code portFile}, when not empty, receives the bound port (for a service on port 0). */
  public record HttpSettings(String iface, int port, String portFile) {
    static HttpSettings from(Config c) {
      return new HttpSettings(c.getString("interface"), c.getInt("port"), c.getString("port-file"));
    }
  }

  /**
   * Pekko Management ({@code audience.management}; its port and health-check settings are under
   * {@code pekko.management}): whether the node starts it, the file it writes the bound port to (for a node on
   * port 0), and how long one readiness probe of a dependency may take.
   */
  public record ManagementSettings(boolean enabled, String portFile, Duration probeTimeout) {
    static ManagementSettings from(Config c) {
      ManagementSettings m = new ManagementSettings(c.getBoolean("enabled"), c.getString("port-file"),
          c.getDuration("probe-timeout"));
      if (m.probeTimeout.isNegative() || m.probeTimeout.isZero()) {
        throw new IllegalArgumentException("audience.management.probe-timeout must be positive");
      }
      return m;
    }
  }

  /** How the service logs ({@code audience.logging}): {@code text} lines, or one JSON object per line. */
  public record LoggingSettings(Format format) {
    public enum Format { TEXT, JSON }

    static LoggingSettings from(Config c) {
      String f = c.getString("format");
      for (Format v : Format.values()) {
        if (v.name().equalsIgnoreCase(f)) return new LoggingSettings(v);
      }
      throw new IllegalArgumentException("audience.logging.format must be text or json, not '" + f + "'");
    }
  }
}
