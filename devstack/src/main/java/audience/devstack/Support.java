package audience.devstack;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small helpers shared by {@link DevStack} and {@link DevStackMain}. */
final class Support {
  static final String LOOPBACK = "127.0.0.1";

  private Support() {}

  /** The last {@code lines} lines of a text file (reads at most the last 64 KiB), or a note if it is missing. */
  static String tail(Path file, int lines) {
    if (file == null || !Files.isRegularFile(file)) {
      return "(no log at " + file + ")";
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long len = raf.length();
      long from = Math.max(0, len - 64 * 1024);
      byte[] buf = new byte[(int) (len - from)];
      raf.seek(from);
      raf.readFully(buf);
      String text = new String(buf, StandardCharsets.UTF_8);
      String[] all = text.split("\r?\n");
      int start = Math.max(0, all.length - lines);
      StringBuilder sb = new StringBuilder();
      for (int i = start; i < all.length; i++) {
        sb.append("  | ").append(all[i]).append('\n');
      }
      return sb.length() == 0 ? "(log " + file + " is empty)" : sb.toString();
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  /** {@code count} distinct free ports on the loopback interface (all held open together so they differ). */
  static List<Integer> freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket();
        sockets.add(s);
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0));
        ports.add(s.getLocalPort());
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing a probe socket
        }
      }
    }
  }

  /**
   * Whether a server could listen on the port right now. SO_REUSEADDR is on, as in Jetty, pekko-http and node, so
   * that connections of a previous run still in TIME_WAIT do not count as taken.
   */
  static boolean isFree(int port) {
    if (port <= 0 || port > 65535) {
      return false;
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), port));
    } catch (IOException e) {
      return false;
    }
    try (Socket probe = new Socket()) {
      probe.connect(new InetSocketAddress(LOOPBACK, port), 200);
      return false; // something answers there (bound on another address)
    } catch (IOException e) {
      return true;
    }
  }

  static boolean tcpConnects(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(LOOPBACK, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits for a process to exit; true if it did within the timeout. */
  static boolean waitFor(ProcessHandle p, Duration timeout) {
    try {
      p.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !p.isAlive();
    } catch (Exception e) {
      return !p.isAlive();
    }
  }
}
