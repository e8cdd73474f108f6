package audience.bench;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What the API benchmark's connections book, and the booking creator's zone that keeps its slots away. */
class ApiPlanTest {
  private static final List<LocalTime> DEFAULT_TIMES = List.of(LocalTime.of(6, 0), LocalTime.of(12, 0),
      LocalTime.of(18, 0));

  @Test
  void noTwoBookingsOfAnyConnectionsShareASegmentAndSendDate() {
    List<String> segments = List.of("s-a", "s-b", "s-c", "s-d", "s-e", "s-f", "s-g");
    LocalDate first = LocalDate.of(2026, 11, 29);
    int connections = 4;
    Set<ApiLoad.Pair> seen = new HashSet<>();
    for (int c = 0; c < connections; c++) {
      for (long k = 0; k < 50; k++) {
        ApiLoad.Pair p = ApiLoad.pair(c, k, connections, segments, first);
        assertThat(seen.add(p)).as("connection %d, booking %d: %s", c, k, p).isTrue();
        assertThat(p.sendDate()).isAfterOrEqualTo(first);
      }
    }
    assertThat(ApiLoad.pair(0, 0, connections, segments, first)).isEqualTo(new ApiLoad.Pair("s-a", first));
    assertThat(ApiLoad.pair(3, 1, connections, segments, first)).as("the 7th pair: the next day")
        .isEqualTo(new ApiLoad.Pair("s-a", first.plusDays(1)));
  }

  @Test
  void theCreatorsZonePutsNowInTheMiddleOfTheLongestGapBetweenItsSlots() {
    assertThat(ApiBenchmark.quietCreatorZone(Instant.parse("2026-11-27T00:00:00Z"), DEFAULT_TIMES))
        .isEqualTo(ZoneOffset.UTC);
    assertThat(ApiBenchmark.quietCreatorZone(Instant.parse("2026-11-27T11:20:00Z"), DEFAULT_TIMES))
        .as("local midnight, the offset kept within 12 hours").isEqualTo(ZoneOffset.ofHoursMinutes(-11, -20));
    assertThat(ApiBenchmark.quietCreatorZone(Instant.parse("2026-11-27T10:00:00Z"), DEFAULT_TIMES))
        .isEqualTo(ZoneOffset.ofHours(-10));
    assertThat(ApiBenchmark.quietCreatorZone(Instant.parse("2026-11-27T23:59:40Z"), DEFAULT_TIMES))
        .as("rounded to the minute").isEqualTo(ZoneOffset.UTC);
    assertThat(ApiBenchmark.quietCreatorZone(Instant.parse("2026-11-27T09:00:00Z"), List.of(LocalTime.of(6, 0))))
        .as("one slot: twelve hours from it").isEqualTo(ZoneOffset.ofHours(9));
  }

  @Test
  void atAnyTimeOfDayTheNextAndLastSlotAreAtLeastFiveHoursAway() {
    for (int minute = 0; minute < 24 * 60; minute += 7) {
      Instant now = Instant.parse("2026-11-27T00:00:00Z").plusSeconds(minute * 60L + 13);
      ZoneOffset zone = ApiBenchmark.quietCreatorZone(now, DEFAULT_TIMES);
      LocalTime local = now.atOffset(zone).toLocalTime();
      for (LocalTime slot : DEFAULT_TIMES) {
        long apart = Math.abs(local.toSecondOfDay() - slot.toSecondOfDay());
        assertThat(Math.min(apart, 24 * 3600 - apart)).as("%s at %s vs slot %s", now, zone, slot)
            .isGreaterThanOrEqualTo(5 * 3600);
      }
    }
  }
}
