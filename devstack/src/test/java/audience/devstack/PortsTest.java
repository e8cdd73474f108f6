package audience.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import audience.devstack.Ports.Range;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PortsTest {
  /** Enough picks that a picker reusing ports or drifting into the ephemeral range would show. */
  private static final int PICKS = 50;

  @Test
  void picksDistinctBindablePortsOutsideTheEphemeralRange() throws IOException {
    Range ephemeral = Ports.ephemeralRange();
    List<Integer> picked = new ArrayList<>();
    for (int i = 0; i < PICKS; i++) {
      picked.add(Ports.pick());
    }
    assertThat(picked).doesNotHaveDuplicates()
        .allSatisfy(port -> assertThat(ephemeral.contains(port)).as("%d in %s", port, ephemeral).isFalse())
        .allMatch(port -> port >= Ports.LOWEST && port <= Ports.HIGHEST);
    // All bound at once: each is bindable, and by a plain server socket as an emulator would open it.
    List<ServerSocket> bound = new ArrayList<>();
    try {
      for (int port : picked) {
        ServerSocket s = new ServerSocket();
        bound.add(s);
        s.bind(new InetSocketAddress(InetAddress.getByName(Support.LOOPBACK), port));
      }
    } finally {
      for (ServerSocket s : bound) {
        s.close();
      }
    }
  }

  @Test
  void aPortHandedOutOrTakenCannotBeClaimed() throws IOException {
    int port = Ports.pick();
    assertThat(Ports.claim(port)).as("already handed out").isFalse();
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName(Support.LOOPBACK), port));
      assertThat(Ports.isFree(port)).as("bound by another server").isFalse();
    }
  }

  @Test
  void readsTheRangeFileFormat() {
    assertThat(Ports.parseRange("32768\t60999\n")).isEqualTo(new Range(32768, 60999));
    assertThatThrownBy(() -> Ports.parseRange("32768")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void candidatesAreTheLargerBandOutsideTheEphemeralRange() {
    assertThat(Ports.candidatesOutside(Ports.DEFAULT_EPHEMERAL)).isEqualTo(new Range(Ports.LOWEST, 32767));
    assertThat(Ports.candidatesOutside(new Range(10_000, 30_000))).isEqualTo(new Range(30_001, Ports.HIGHEST));
    assertThatThrownBy(() -> Ports.candidatesOutside(new Range(1024, Ports.HIGHEST)))
        .isInstanceOf(IllegalStateException.class);
  }
}
