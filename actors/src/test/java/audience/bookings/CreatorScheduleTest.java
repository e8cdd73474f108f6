package audience.bookings;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The creator's slots: due now, missed ones run once, the next one, across days and daylight saving. */
class CreatorScheduleTest {
  private static final ZoneId SYDNEY = ZoneId.of("Australia/Sydney");
  private static final CreatorSchedule SCHEDULE = new CreatorSchedule(
      List.of(LocalTime.of(18, 0), LocalTime.of(6, 0), LocalTime.of(12, 0)), SYDNEY);

  private static Instant sydney(String local) {
    return java.time.LocalDateTime.parse(local).atZone(SYDNEY).toInstant();
  }

  @Test
  void theLatestSlotIsTheLastTimeOfDayNotAfterNow() {
    assertThat(SCHEDULE.latestSlot(sydney("2026-11-27T12:00:00"))).isEqualTo(sydney("2026-11-27T12:00:00"));
    assertThat(SCHEDULE.latestSlot(sydney("2026-11-27T11:59:59"))).isEqualTo(sydney("2026-11-27T06:00:00"));
    assertThat(SCHEDULE.latestSlot(sydney("2026-11-27T05:00:00"))).as("yesterday's last")
        .isEqualTo(sydney("2026-11-26T18:00:00"));
  }

  @Test
  void aMissedSlotRunsOnceAndOnlyTheLatestOfSeveral() {
    Instant lastRun = sydney("2026-11-26T06:00:00");
    Instant back = sydney("2026-11-27T13:30:00"); // down over four slots
    assertThat(SCHEDULE.due(lastRun, back)).contains(sydney("2026-11-27T12:00:00"));
    assertThat(SCHEDULE.due(sydney("2026-11-27T12:00:00"), back)).as("already run").isEmpty();
    assertThat(SCHEDULE.due(null, back)).as("never run: the latest slot").contains(sydney("2026-11-27T12:00:00"));
  }

  @Test
  void theNextSlotMayBeTomorrowAndFollowsDaylightSaving() {
    assertThat(SCHEDULE.nextSlot(sydney("2026-11-27T18:00:00"))).isEqualTo(sydney("2026-11-28T06:00:00"));
    assertThat(SCHEDULE.nextSlot(sydney("2026-11-27T06:00:00"))).isEqualTo(sydney("2026-11-27T12:00:00"));
    // Sydney moves its clocks forward on 2026-10-04 at 02:00: 06:00 local is then 19:00 UTC the day before
    assertThat(SCHEDULE.nextSlot(sydney("2026-10-04T01:00:00"))).isEqualTo(Instant.parse("2026-10-03T19:00:00Z"));
    assertThatThrownBy(() -> new CreatorSchedule(List.of(), SYDNEY)).hasMessageContaining("at least one time");
  }
}
