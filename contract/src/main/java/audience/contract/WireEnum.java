package audience.contract;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** An enum of the data contract, with the exact spelling used on the wire. */
public interface WireEnum {
  /** The value as it appears in the JSON file. */
  String wire();

  /** The constant with this exact (case-sensitive) wire value. */
  static <E extends Enum<E> & WireEnum> Optional<E> fromWire(E[] values, String s) {
    for (E e : values) {
      if (e.wire().equals(s)) return Optional.of(e);
    }
    return Optional.empty();
  }

  /** Human readable list of the accepted wire values, for rejection details. */
  static String expected(WireEnum[] values) {
    return Arrays.stream(values).map(WireEnum::wire).collect(Collectors.joining(", "));
  }
}
