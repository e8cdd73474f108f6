package audience.devstack;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Free TCP ports on 127.0.0.1 for servers that bind later (emulators, Pekko remoting in tests).
 *
 * <p>Why not {@code new ServerSocket(0)}: port 0 hands out a port of the kernel's ephemeral range, the range every
 * outgoing connection takes its local port from. Between releasing such a port and the server binding it, any
 * connection (an HTTP client, the build) may take it and the bind fails. Ports are therefore picked at random
 * outside the ephemeral range (from 20000 up, normally below it), where the kernel never hands out ports by itself;
 * only another server choosing the same port can collide, and callers retry with another port when a bind fails.
 *
 * <p>Within one JVM a port is handed out at most once, so two servers never get the same port from here.
 */
public final class Ports {
  private static final Logger log = LoggerFactory.getLogger(Ports.class);

  /** The lowest port handed out: above the registered ports most local services (databases, brokers) use. */
  static final int LOWEST = 20_000;
  static final int HIGHEST = 65_535;
  /** Linux's default ephemeral range, assumed where {@link #RANGE_FILE} cannot be read (macOS, Windows). */
  static final Range DEFAULT_EPHEMERAL = new Range(32_768, 60_999);
  private static final Path RANGE_FILE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  /** Random candidates tried before giving up: with thousands of candidates, failing this often means trouble. */
  private static final int MAX_CANDIDATES = 200;
  /** A loopback connect answers or is refused at once; this only bounds a filtered port. */
  private static final int CONNECT_PROBE_MILLIS = 200;

  private static final Set<Integer> handedOut = new HashSet<>();
  private static Range candidates;

  private Ports() {}

  /** A range of ports, both ends included. */
  record Range(int low, int high) {
    Range {
      if (low < 1 || high > HIGHEST || low > high) {
        throw new IllegalArgumentException("not a port range: " + low + "-" + high);
      }
    }

    int size() {
      return high - low + 1;
    }

    boolean contains(int port) {
      return port >= low && port <= high;
    }

    @Override
    public String toString() {
      return low + "-" + high;
    }
  }

  /**
   * A port outside the ephemeral range that a server can bind on 127.0.0.1 right now and that this JVM has not
   * handed out before.
   *
   * @throws IllegalStateException if no such port turns up
   */
  public static synchronized int pick() {
    Range range = candidates();
    for (int i = 0; i < MAX_CANDIDATES; i++) {
      int port = range.low() + ThreadLocalRandom.current().nextInt(range.size());
      if (!handedOut.contains(port) && isFree(port)) {
        handedOut.add(port);
        return port;
      }
    }
    throw new IllegalStateException("no free port on " + Support.LOOPBACK + " in " + range + " after "
        + MAX_CANDIDATES + " random tries");
  }

  /**
   * Takes a given port (a port remembered from a previous run) if it is free and this JVM has not handed it out;
   * afterwards {@link #pick()} never returns it.
   */
  static synchronized boolean claim(int port) {
    if (handedOut.contains(port) || !isFree(port)) {
      return false;
    }
    handedOut.add(port);
    return true;
  }

  /** The ports {@link #pick()} chooses from (read once). */
  static synchronized Range candidates() {
    if (candidates == null) {
      candidates = candidatesOutside(ephemeralRange());
    }
    return candidates;
  }

  /** The larger of the two bands from {@link #LOWEST} up outside the ephemeral range: below it or above it. */
  static Range candidatesOutside(Range ephemeral) {
    int belowSize = ephemeral.low() - LOWEST;
    int aboveLow = Math.max(LOWEST, ephemeral.high() + 1);
    int aboveSize = HIGHEST - aboveLow + 1;
    if (belowSize <= 0 && aboveSize <= 0) {
      throw new IllegalStateException("the ephemeral port range " + ephemeral + " leaves no port from " + LOWEST
          + " up outside it");
    }
    return belowSize >= aboveSize ? new Range(LOWEST, ephemeral.low() - 1) : new Range(aboveLow, HIGHEST);
  }

  /** The kernel's ephemeral port range (Linux), else {@link #DEFAULT_EPHEMERAL}. */
  static Range ephemeralRange() {
    if (!Files.isReadable(RANGE_FILE)) {
      return DEFAULT_EPHEMERAL;
    }
    // One line read as a stream: procfs reports a size of 0, which trips whole-file reads.
    try (BufferedReader in = Files.newBufferedReader(RANGE_FILE, StandardCharsets.US_ASCII)) {
      return parseRange(String.valueOf(in.readLine()));
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read the ephemeral port range from {} ({}); assuming {}", RANGE_FILE, e, DEFAULT_EPHEMERAL);
      return DEFAULT_EPHEMERAL;
    }
  }

  /** Parses the "low high" line of {@code ip_local_port_range} (tab separated). */
  static Range parseRange(String text) {
    String[] parts = text.trim().split("\\s+");
    if (parts.length != 2) {
      throw new IllegalArgumentException("expected two port numbers, got \"" + text.trim() + "\"");
    }
    return new Range(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
  }

  /**
   * Whether a server could listen on the port of 127.0.0.1 right now. SO_REUSEADDR is on, as in Jetty, pekko-http
   * and node, so that connections of a previous run still in TIME_WAIT do not count as taken; the connect probe
   * catches a server bound to another address of the same port (which some systems let a loopback bind pass).
   */
  static boolean isFree(int port) {
    if (port <= 0 || port > HIGHEST) {
      return false;
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(Support.LOOPBACK), port));
    } catch (IOException e) {
      return false;
    }
    try (Socket probe = new Socket()) {
      probe.connect(new InetSocketAddress(Support.LOOPBACK, port), CONNECT_PROBE_MILLIS);
      return false; // something answers there
    } catch (IOException e) {
      return true;
    }
  }
}
