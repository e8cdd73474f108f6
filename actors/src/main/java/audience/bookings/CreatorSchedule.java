package audience.bookings;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;

/**
 * When the booking creator runs: at fixed times of day in a zone (default 06:00, 12:00 and 18:00). Pure: which slot
 * is due now (the latest slot not after now, if it is later than the last one run: a slot missed while the service
 * was down runs once when it is back, and only the latest of several missed ones), and when the next one comes.
 */
public record CreatorSchedule(List<LocalTime> times, ZoneId zone) {
  public CreatorSchedule {
    if (times.isEmpty()) throw new IllegalArgumentException("the booking creator needs at least one time of day");
    times = times.stream().sorted().distinct().toList();
  }

  /** The latest slot at or before {@code now}. */
  public Instant latestSlot(Instant now) {
    ZonedDateTime local = now.atZone(zone);
    LocalDate day = local.toLocalDate();
    for (int back = 0; ; back++) {
      LocalDate d = day.minusDays(back);
      for (int i = times.size() - 1; i >= 0; i--) {
        Instant slot = d.atTime(times.get(i)).atZone(zone).toInstant();
        if (!slot.isAfter(now)) return slot;
      }
    }
  }

  /** The first slot after {@code now}. */
  public Instant nextSlot(Instant now) {
    LocalDate day = now.atZone(zone).toLocalDate();
    for (int ahead = 0; ; ahead++) {
      LocalDate d = day.plusDays(ahead);
      for (LocalTime t : times) {
        Instant slot = d.atTime(t).atZone(zone).toInstant();
        if (slot.isAfter(now)) return slot;
      }
    }
  }

  /** The slot to run now, given the last one run (null: none yet), if any. */
  public Optional<Instant> due(Instant lastRun, Instant now) {
    Instant latest = latestSlot(now);
    return lastRun == null || latest.isAfter(lastRun) ? Optional.of(latest) : Optional.empty();
  }
}
