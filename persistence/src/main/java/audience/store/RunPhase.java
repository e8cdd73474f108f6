package audience.store;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * Where an ingestion run is in its life, one enum from the journal (the run entity's PhaseChanged events) through
 * the runs read model to the JSON of /ops and the CLI, always spelled in lower case on the wire.
 */
public enum RunPhase {
  /** No run with that id was ever started. */
  NEW,
  RUNNING,
  PAUSED,
  /**
   * Nothing moves for a cause that is nobody's file (a store down, credentials revoked): still retrying, and back to
   * running by itself once a chunk settles again, or by resume.
   */
  STALLED,
  CANCELLED,
  /** Every listed file is settled and the done event was emitted. */
  COMPLETED;

  /** How journals written before the reshape spell COMPLETED. */
  private static final String LEGACY_COMPLETED = "FINISHED";

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Reads the wire spelling, the upper-case enum name, or the legacy {@code FINISHED}. */
  @JsonCreator
  public static RunPhase fromWire(String text) {
    String upper = text.trim().toUpperCase(Locale.ROOT);
    if (upper.equals(LEGACY_COMPLETED)) return COMPLETED;
    try {
      return valueOf(upper);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a run phase: '" + text + "'", e);
    }
  }

  /** Running, stalled or paused: the run still owns work. */
  public boolean active() {
    return this == RUNNING || this == STALLED || this == PAUSED;
  }

  /** Running or stalled: the run dispatches and retries. */
  public boolean dispatching() {
    return this == RUNNING || this == STALLED;
  }

  /** Cancelled or completed: nothing will change any more. */
  public boolean ended() {
    return this == CANCELLED || this == COMPLETED;
  }

  /**
   * The phase a run shows: completed as soon as its completion tracker has completed it (the run entity learns it
   * a moment later), else the run entity's own phase.
   */
  public static RunPhase shown(RunPhase runEntity, boolean tallyCompleted) {
    return tallyCompleted ? COMPLETED : runEntity;
  }
}
