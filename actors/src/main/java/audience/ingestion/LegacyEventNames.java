package audience.ingestion;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

import java.util.Map;

/**
 * Reads events journalled before the run entity was renamed from IngestionSupervisor to IngestionRun (its entity
 * key and persistence id were always {@code IngestionRun}): registered for each old class name under
 * {@code pekko.serialization.jackson.migrations} in audience-pekko.conf. Their fields are unchanged (PhaseChanged
 * keeps the wire name {@code control}). Snapshots of the old state shape are not migrated: the snapshot store is
 * configured with {@code snapshot-is-optional}, so such a snapshot is skipped and the events (never deleted) replay.
 */
public final class LegacyEventNames extends JacksonMigration {
  private static final String OLD = "audience.ingestion.IngestionSupervisor$";
  private static final String NEW = "audience.ingestion.IngestionRun$";
  static final Map<String, String> RENAMED = Map.of(
      OLD + "RunStarted", NEW + "RunStarted",
      OLD + "ChunksCommitted", NEW + "ChunksCommitted",
      OLD + "ListingFinished", NEW + "ListingFinished",
      OLD + "ControlChanged", NEW + "PhaseChanged");
  /** Journals before the rename carry no version: 1. */
  private static final int CURRENT_VERSION = 2;

  @Override
  public int currentVersion() {
    return CURRENT_VERSION;
  }

  @Override
  public String transformClassName(int fromVersion, String className) {
    return RENAMED.getOrDefault(className, className);
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    return json;
  }
}
