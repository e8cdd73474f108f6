package audience.devstack;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small helpers shared by {@link DevStack}, {@link DevStackMain} and the emulators. */
final class Support {
  static final String LOOPBACK = "127.0.0.1";
  /** Logs are read from their end, and only this much: enough for an error and its stack trace. */
  private static final int MAX_LOG_READ_BYTES = 64 * 1024;

  private Support() {}

  /** The last {@code lines} lines of a text file (reads at most the last 64 KiB), or a note if it is missing. */
  static String tail(Path file, int lines) {
    if (file == null || !Files.isRegularFile(file)) {
      return "(no log at " + file + ")";
    }
    List<String> all;
    try {
      all = linesFrom(file, 0);
    } catch (UncheckedIOException e) {
      return "(cannot read " + file + ": " + e.getCause() + ")";
    }
    StringBuilder sb = new StringBuilder();
    for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
      sb.append("  | ").append(line).append('\n');
    }
    return sb.length() == 0 ? "(log " + file + " is empty)" : sb.toString();
  }

  /**
   * The lines of a text file from byte {@code offset} on, at most the last 64 KiB of them; none if it is missing.
   *
   * @throws UncheckedIOException if it cannot be read
   */
  static List<String> linesFrom(Path file, long offset) {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long len = raf.length();
      long from = Math.max(offset, len - MAX_LOG_READ_BYTES);
      if (from >= len) {
        return List.of();
      }
      byte[] buf = new byte[(int) (len - from)];
      raf.seek(from);
      raf.readFully(buf);
      return List.of(new String(buf, StandardCharsets.UTF_8).split("\r?\n"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
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
