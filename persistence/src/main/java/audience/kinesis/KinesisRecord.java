package audience.kinesis;

import java.util.Arrays;
import java.util.Objects;

/** One record as read from a shard. {@code data} is copied in and out: the record stays immutable. */
public record KinesisRecord(String partitionKey, String sequenceNumber, byte[] data) {
  public KinesisRecord {
    Objects.requireNonNull(partitionKey, "partitionKey");
    SequenceNumbers.parse(sequenceNumber);
    data = data.clone();
  }

  @Override
  public byte[] data() {
    return data.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KinesisRecord r && partitionKey.equals(r.partitionKey)
        && sequenceNumber.equals(r.sequenceNumber) && Arrays.equals(data, r.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(partitionKey, sequenceNumber, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "KinesisRecord[" + partitionKey + ", " + sequenceNumber + ", " + data.length + " bytes]";
  }
}
