package audience.generator;

import audience.contract.RejectionKind;

import java.util.Map;

/**
 * What a complete ingestion of a generated data set must end with.
 *
 * @param files objects written
 * @param expectedValidFiles files that pass the contract (including repeated members)
 * @param expectedQuarantined files that must be quarantined
 * @param distinctMembers distinct memberIds among the valid files (rows in the members table)
 * @param quarantinedByKind quarantined files per kind (kinds with no file are absent)
 */
public record GroundTruth(
    long files,
    long expectedValidFiles,
    long expectedQuarantined,
    long distinctMembers,
    Map<RejectionKind, Long> quarantinedByKind) {

  public GroundTruth {
    quarantinedByKind = Map.copyOf(quarantinedByKind);
  }
}
