package audience.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsTest {

  @Test
  void localProfileUsesStaticEmulatorCredentials() {
    Settings s = Settings.load(Map.of("audience.profile", "local", "audience.aws.endpoints.s3", "http://127.0.0.1:9000"));
    assertThat(s.profile()).isEqualTo("local");
    assertThat(s.aws().staticCredentials()).isTrue();
    assertThat(s.aws().endpoints().s3()).isEqualTo("http://127.0.0.1:9000");
    assertThat(s.ingestion().maxFileBytes()).isEqualTo(1024 * 1024);
  }

  @Test
  void awsProfileClearsEndpointsAndCredentialsEvenWhenSetBelow() {
    // One switch: the aws overlay wins over anything in application.conf or reference.conf.
    Settings s = Settings.load(Map.of("audience.profile", "aws"));
    assertThat(s.aws().staticCredentials()).isFalse();
    assertThat(s.aws().endpoints()).isEqualTo(new Settings.Endpoints("", "", "", "", ""));
  }

  @Test
  void theSegmentsStreamHasFourShardsByDefaultAndItsLimitsAreKinesisOwn() {
    Settings s = Settings.load();
    assertThat(s.resources().segmentsStream()).isEqualTo("audience-segments");
    assertThat(s.segments().stream().shards()).isEqualTo(4);
    assertThat(s.segments().stream().publishMaxRecords()).isEqualTo(Settings.StreamSettings.MAX_PUT_RECORDS);
    assertThat(s.segments().stream().publishMaxBytes()).isEqualTo(Settings.StreamSettings.MAX_PUT_BYTES);
    assertThat(s.segments().stream().idlePoll()).isEqualTo(Duration.ofMillis(250));
    Settings custom = Settings.load(Map.of("audience.segments.stream.shards", 2,
        "audience.resources.segments-stream", "ns-segments", "audience.segments.stream.reader.batch-limit", 50));
    assertThat(custom.segments().stream().shards()).isEqualTo(2);
    assertThat(custom.segments().stream().readerBatchLimit()).isEqualTo(50);
    assertThat(custom.resources().segmentsStream()).isEqualTo("ns-segments");
  }

  @Test
  void theEdmPlatformIsTheSandboxKeyLocallyNothingOnAwsAndItsKeyNeverShows() {
    Settings.EdmSettings local = Settings.load(Map.of("audience.profile", "local",
        "audience.bookings.edm.base-url", "http://127.0.0.1:9001")).bookings().edm();
    assertThat(local.baseUrl()).isEqualTo("http://127.0.0.1:9001");
    assertThat(local.apiKey()).isEqualTo("audience-edm-sandbox-key");
    assertThat(local.configured()).isTrue();
    assertThat(local.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(local.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(local.toString()).doesNotContain("audience-edm-sandbox-key").contains("(set)");

    Settings.EdmSettings aws = Settings.load(Map.of("audience.profile", "aws")).bookings().edm();
    assertThat(aws.baseUrl()).isEmpty();
    assertThat(aws.configured()).isFalse();

    assertThatThrownBy(() -> Settings.load(Map.of("audience.bookings.edm.request-timeout", "0s")))
        .hasMessageContaining("audience.bookings.edm.request-timeout");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.bookings.edm.base-url", "ftp://edm")))
        .hasMessageContaining("audience.bookings.edm.base-url");
  }

  @Test
  void segmentsSettingsBeyondKinesisLimitsNameTheKey() {
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.stream.publisher.max-batch-records", 501)))
        .hasMessageContaining("audience.segments.stream.publisher.max-batch-records");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.stream.publisher.max-batch-bytes", "6 MiB")))
        .hasMessageContaining("audience.segments.stream.publisher.max-batch-bytes");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.stream.shards", 0)))
        .hasMessageContaining("audience.segments.stream.shards");
  }

  @Test
  void segmentConsumerSettingsHaveTheirDefaultsAndNameTheKeyWhenInvalid() {
    Settings.ConsumerSettings c = Settings.load().segments().consumer();
    assertThat(c.discoverInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.effectParallelism()).isEqualTo(8);
    assertThat(c.minRestartBackoff()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.maxRestartBackoff()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.askTimeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.retry().maxAttempts()).isEqualTo(10);
    assertThat(c.snapshotEvery()).isEqualTo(100);
    assertThat(c.restartBackoff(1)).isEqualTo(Duration.ofMillis(500));
    assertThat(c.restartBackoff(3)).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.restartBackoff(20)).isEqualTo(Duration.ofSeconds(30));
    Settings.ConsumerSettings custom = Settings.load(Map.of("audience.segments.consumer.discover-interval", "250ms",
        "audience.segments.consumer.effect-parallelism", 2)).segments().consumer();
    assertThat(custom.discoverInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(custom.effectParallelism()).isEqualTo(2);
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.consumer.effect-parallelism", 0)))
        .hasMessageContaining("audience.segments.consumer.effect-parallelism");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.consumer.restart-backoff.max", "100ms")))
        .hasMessageContaining("audience.segments.consumer.restart-backoff.max");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.consumer.discover-interval", "0s")))
        .hasMessageContaining("audience.segments.consumer.discover-interval");
  }

  @Test
  void theAudienceExportCutsFiveMiBPartsIntoItsOwnBucketAndRefusesPartsS3Refuses() {
    Settings s = Settings.load();
    assertThat(s.bookings().export().partSize()).isEqualTo(Settings.ExportSettings.MIN_PART_BYTES);
    assertThat(s.resources().audiencesBucket()).isEqualTo("audience-audiences");
    assertThat(s.resources().bookingsTable()).isEqualTo("audience-bookings");
    assertThat(Settings.load(Map.of("audience.bookings.export.part-size", "8 MiB")).bookings().export().partSize())
        .isEqualTo(8L * 1024 * 1024);
    assertThatThrownBy(() -> Settings.load(Map.of("audience.bookings.export.part-size", "1 MiB")))
        .hasMessageContaining("audience.bookings.export.part-size");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.bookings.export.part-size", "6 GiB")))
        .hasMessageContaining("audience.bookings.export.part-size");
  }

  @Test
  void unknownProfileIsRejectedWithItsName() {
    assertThatThrownBy(() -> Settings.load(Map.of("audience.profile", "staging")))
        .hasMessageContaining("'staging'");
  }

  @Test
  void invalidIngestionSettingsNameTheKey() {
    assertThatThrownBy(() -> Settings.load(Map.of("audience.ingestion.write-batch-size", 26)))
        .hasMessageContaining("audience.ingestion.write-batch-size");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.ingestion.max-clock-skew", "-1s")))
        .hasMessageContaining("audience.ingestion.max-clock-skew");
  }

  @Test
  void maxClockSkewIsFiveMinutesUnlessSet() {
    assertThat(Settings.load().ingestion().maxClockSkew()).isEqualTo(Duration.ofMinutes(5));
    assertThat(Settings.load(Map.of("audience.ingestion.max-clock-skew", "0s")).ingestion().maxClockSkew())
        .isZero();
  }

  @Test
  void clusterOverlayIsAddedOnlyWhenAskedFor() {
    assertThat(Settings.load(Map.of("audience.cluster", true)).config()
        .getInt("pekko.remote.artery.canonical.port")).isEqualTo(25520);
    assertThat(Settings.load().config().hasPath("pekko.remote.artery.canonical.port")).isFalse();
  }

  @Test
  void retryBackoffGrowsAndIsCapped() {
    Settings.Retry r = Settings.load().ingestion().retry();
    assertThat(r.backoff(1)).isEqualTo(r.minBackoff());
    assertThat(r.backoff(2)).isEqualTo(r.minBackoff().multipliedBy(2));
    assertThat(r.backoff(60)).isEqualTo(r.maxBackoff());
  }

  @Test
  void theDefaultAllowedSourceIsTheRawBucketWholeAndFollowsItsName() {
    assertThat(Settings.load().ingestion().allowedSources())
        .containsExactly(new Settings.AllowedSource("audience-raw", List.of("*")));
    assertThat(Settings.load(Map.of("audience.resources.raw-bucket", "ns-raw")).ingestion().allowedSources())
        .containsExactly(new Settings.AllowedSource("ns-raw", List.of("*")));
    assertThat(Settings.load(Map.of("audience.profile", "aws")).ingestion().allowedSources())
        .containsExactly(new Settings.AllowedSource("audience-raw", List.of("*")));
  }

  @Test
  void allowedSourcesAreReadInOrderAndAnEmptyListIsKept() {
    Settings s = Settings.load(Map.of("audience.ingestion.allowed-sources", List.of(
        Map.of("bucket", "uploads", "prefixes", List.of("partner-a/*", "partner-b/2026-??/*")),
        Map.of("bucket", "audience-raw", "prefixes", List.of("*")))));
    assertThat(s.ingestion().allowedSources()).containsExactly(
        new Settings.AllowedSource("uploads", List.of("partner-a/*", "partner-b/2026-??/*")),
        new Settings.AllowedSource("audience-raw", List.of("*")));
    assertThat(Settings.load(Map.of("audience.ingestion.allowed-sources", List.of())).ingestion().allowedSources())
        .isEmpty();
  }

  @Test
  void anAllowedSourceWithoutBucketOrPatternsNamesTheEntry() {
    assertThatThrownBy(() -> Settings.load(Map.of("audience.ingestion.allowed-sources",
        List.of(Map.of("bucket", "b", "prefixes", List.of("*")), Map.of("prefixes", List.of("*"))))))
        .hasMessage("audience.ingestion.allowed-sources[1].bucket is required (a bucket name)");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.ingestion.allowed-sources",
        List.of(Map.of("bucket", "b", "prefixes", List.of())))))
        .hasMessage("audience.ingestion.allowed-sources[0].prefixes must list at least one pattern; [\"*\"] allows "
            + "the whole bucket b");
  }

  @Test
  void quarantineRetentionIsPositive() {
    assertThat(Settings.load().ingestion().quarantineRetention()).isEqualTo(Duration.ofDays(30));
    assertThatThrownBy(() -> Settings.load(Map.of("audience.ingestion.quarantine-retention", "0s")))
        .hasMessageContaining("audience.ingestion.quarantine-retention must be positive");
  }

  @Test
  void segmentSettingsHaveTheirDefaultsAndTheirResourceNames() {
    Settings s = Settings.load();
    Settings.SegmentSettings seg = s.segments();
    assertThat(seg.minAudience()).isEqualTo(10);
    assertThat(seg.activityWindow()).isEqualTo(Duration.ofDays(30));
    assertThat(seg.scanSegments()).isEqualTo(4);
    assertThat(seg.priceBuckets()).isEqualTo(10);
    assertThat(seg.stream().shards()).isEqualTo(4);
    assertThat(seg.priceBands()).containsOnlyKeys("buy", "rent", "sell", "invest");
    assertThat(seg.priceBands().get("rent")).containsExactly(0L, 400L, 600L, 800L, 1000L, 1500L);
    assertThat(seg.priceBands().get("buy")).startsWith(0L, 500_000L).endsWith(3_000_000L);
    assertThat(s.resources().segmentsBucket()).isEqualTo("audience-segments");
    assertThat(s.resources().segmentsStream()).isEqualTo("audience-segments");
  }

  @Test
  void segmentSettingsAreReadFromOverrides() {
    Settings.SegmentSettings seg = Settings.load(Map.of("audience.segments.min-audience", 3,
        "audience.segments.activity-window", "7d", "audience.segments.price-bands.rent", List.of(0, 500, 900)))
        .segments();
    assertThat(seg.minAudience()).isEqualTo(3);
    assertThat(seg.activityWindow()).isEqualTo(Duration.ofDays(7));
    assertThat(seg.priceBands().get("rent")).containsExactly(0L, 500L, 900L);
    assertThat(seg.priceBands().get("buy")).hasSize(7);
  }

  @Test
  void invalidSegmentSettingsNameTheKey() {
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.min-audience", 0)))
        .hasMessage("audience.segments.min-audience must be at least 1");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.activity-window", "0s")))
        .hasMessageContaining("audience.segments.activity-window must be positive");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.price-bands.rent", List.of(100, 500))))
        .hasMessageContaining("audience.segments.price-bands.rent must start at 0");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.price-bands.buy", List.of(0))))
        .hasMessageContaining("audience.segments.price-bands.buy must list at least two lower bounds");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.price-bands.sell", List.of(0, 500, 400))))
        .hasMessageContaining("audience.segments.price-bands.sell must ascend");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.segments.price-bands.invest", List.of(0, 5))))
        .hasMessageContaining("each band at least price-buckets (10) wide");
  }

  @Test
  void subscriptionsPollEveryQuarterSecondAndRefuseNonPositiveDurations() {
    Settings.SubscriptionSettings s = Settings.load().api().subscriptions();
    assertThat(s.pollInterval()).isEqualTo(java.time.Duration.ofMillis(250));
    assertThat(s.maxMessageSize()).isEqualTo(64 * 1024);
    assertThat(s.maxPerConnection()).isPositive();
    assertThatThrownBy(() -> Settings.load(Map.of("audience.api.subscriptions.poll-interval", "0s")))
        .hasMessageContaining("audience.api.subscriptions.poll-interval must be positive");
    assertThatThrownBy(() -> Settings.load(Map.of("audience.api.subscriptions.max-per-connection", 0)))
        .hasMessageContaining("max-per-connection");
  }
}
