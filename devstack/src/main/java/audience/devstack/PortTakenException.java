package audience.devstack;

/**
 * An emulator could not listen on its port because something else holds it. Starting it again on another port
 * helps, which {@link EmulatorLauncher} does.
 */
final class PortTakenException extends Exception {
  private final int port;

  PortTakenException(String emulator, int port, String detail, Throwable cause) {
    super(emulator + " could not bind port " + port + ": " + detail, cause);
    this.port = port;
  }

  int port() {
    return port;
  }
}
