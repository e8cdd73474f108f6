package audience.kinesis;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SequenceNumbersTest {
  /** A real Kinesis sequence number: 56 digits, near 2^185, far beyond a long. */
  private static final String REAL = "49590338271490256608559692538361571095921575989136588898";
  /** 2^128 and its neighbours: where a long (and a double) lose the difference. */
  private static final BigInteger TWO_128 = BigInteger.ONE.shiftLeft(128);

  @Test
  void numbersBeyondALongCompareByValueNotAsStrings() {
    String below = TWO_128.subtract(BigInteger.ONE).toString();
    String at = TWO_128.toString();
    String above = TWO_128.add(BigInteger.ONE).toString();
    assertThat(SequenceNumbers.compare(below, at)).isNegative();
    assertThat(SequenceNumbers.isAfter(above, at)).isTrue();
    assertThat(SequenceNumbers.isAfter(at, at)).isFalse();
    assertThat(SequenceNumbers.max(above, below)).isEqualTo(above);
    // as strings "9" sorts after "10": not as sequence numbers
    assertThat(SequenceNumbers.isAfter("10", "9")).isTrue();
    assertThat(SequenceNumbers.compare(REAL, REAL.substring(1))).isPositive();
  }

  @Test
  void sortingByTheOrderFollowsTheValue() {
    List<String> shuffled = new ArrayList<>(List.of(TWO_128.add(BigInteger.TEN).toString(), "99", REAL,
        TWO_128.toString(), "100"));
    shuffled.sort(SequenceNumbers.ORDER);
    assertThat(shuffled).containsExactly("99", "100", TWO_128.toString(), TWO_128.add(BigInteger.TEN).toString(), REAL);
  }

  @Test
  void whatIsNotADecimalNumberIsRefused() {
    for (String bad : new String[] {"", "-1", "12a", " 1", "SHARD_END"}) {
      assertThatThrownBy(() -> SequenceNumbers.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> SequenceNumbers.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }
}
