package audience.contract;

/** An enum of the data contract, with the exact spelling used on the wire. */
public interface WireEnum {
  /** The value as it appears in the JSON file. */
  String wire();
}
