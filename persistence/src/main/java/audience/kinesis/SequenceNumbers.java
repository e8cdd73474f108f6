package audience.kinesis;

import java.math.BigInteger;
import java.util.Comparator;

/**
 * Kinesis sequence numbers: decimal strings of up to 128 bits, which overflow a {@code long} and do not sort as
 * strings ("9" before "10"). Compare them only here, as big integers.
 */
public final class SequenceNumbers {
  /** Orders sequence numbers by value. */
  public static final Comparator<String> ORDER = SequenceNumbers::compare;

  private SequenceNumbers() {}

  /** The value of {@code sequenceNumber}; rejects anything that is not a non-negative decimal integer. */
  public static BigInteger parse(String sequenceNumber) {
    if (sequenceNumber == null || sequenceNumber.isEmpty() || !sequenceNumber.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException("not a Kinesis sequence number: '" + sequenceNumber + "'");
    }
    return new BigInteger(sequenceNumber);
  }

  /** Negative, zero or positive as {@code a} is before, equal to or after {@code b}. */
  public static int compare(String a, String b) {
    return parse(a).compareTo(parse(b));
  }

  /** Whether {@code a} comes strictly after {@code b}. */
  public static boolean isAfter(String a, String b) {
    return compare(a, b) > 0;
  }

  /** The later of the two. */
  public static String max(String a, String b) {
    return compare(a, b) >= 0 ? a : b;
  }
}
