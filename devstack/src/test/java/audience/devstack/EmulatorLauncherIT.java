package audience.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import audience.devstack.DevStack.Service;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** An emulator whose port is taken by the time it binds moves to another port. */
class EmulatorLauncherIT {
  @BeforeAll
  static void nodeModules() {
    DevStack.ensureNodeModules(DevStack.locateDir());
  }

  private static Layout layout(Path home) throws IOException {
    Layout layout = new Layout(home, false, DevStack.locateDir());
    Files.createDirectories(layout.logs());
    return layout;
  }

  /** A port another server holds: free when picked, taken when the emulator binds it (the race Ports cannot rule out). */
  private static ServerSocket takePort() throws IOException {
    ServerSocket taken = new ServerSocket();
    taken.bind(new InetSocketAddress(InetAddress.getByName(Support.LOOPBACK), Ports.pick()));
    return taken;
  }

  @ParameterizedTest
  @EnumSource(Service.class)
  void anEmulatorWhosePortIsTakenStartsOnAnotherPort(Service service, @TempDir Path home) throws Exception {
    List<Emulator> emulators = DevStackMain.emulators(EnumSet.of(service), layout(home));
    assertThat(emulators).hasSize(1);
    Emulator emulator = emulators.get(0);
    try (ServerSocket taken = takePort()) {
      EmulatorLauncher launcher = new EmulatorLauncher();
      launcher.start(emulator, taken.getLocalPort());
      launcher.awaitReady(emulator);
      assertThat(emulator.port()).isNotEqualTo(taken.getLocalPort());
      assertThat(emulator.readiness().send()).isPositive();
    } finally {
      emulator.stop();
    }
  }

  @Test
  void givesUpAfterBoundedAttemptsNamingTheEmulatorAndPort(@TempDir Path home) throws Exception {
    var neverBinds = new Emulator(Service.S3, layout(home)) {
      int starts;

      @Override
      protected void launch(int port) throws Exception {
        starts++;
        throw new IOException("Failed to bind to /127.0.0.1:" + port, new BindException("Address already in use"));
      }

      @Override
      ReadinessProbe readiness() {
        throw new AssertionError("never started");
      }

      @Override
      void stop() {}
    };
    int first = Ports.pick();
    assertThatThrownBy(() -> new EmulatorLauncher().start(neverBinds, first))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("s3 could not bind any of " + EmulatorLauncher.MAX_PORT_ATTEMPTS + " ports")
        .hasMessageContaining("port " + neverBinds.port());
    assertThat(neverBinds.starts).isEqualTo(EmulatorLauncher.MAX_PORT_ATTEMPTS);
  }
}
