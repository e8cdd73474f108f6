package audience.ingestion;

/** A request the run cannot take in its present state (e.g. a redrive of a run still running): HTTP 409. */
public final class RunConflict extends RuntimeException {
  public RunConflict(String message) {
    super(message);
  }
}
