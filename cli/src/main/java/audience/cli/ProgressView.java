package audience.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * Follows a changing count until it says it is finished, shown on stderr as the {@link Display} says: a progress
 * bar on a terminal, a plain line now and then in a log (stderr not a terminal), nothing for machine output
 * ({@code --json}). Standard output is never written here.
 */
final class ProgressView {
  private static final Duration POLL = Duration.ofMillis(500);
  /** How often a plain line is printed when stderr is not a terminal. */
  private static final Duration LINE_EVERY = Duration.ofSeconds(10);

  /** One look at the work: done of total (total -1 while unknown), a short text, finished or not. */
  record Snapshot(long done, long total, String extra, boolean finished) {}

  /** How progress is shown. */
  enum Display {
    /** A progress bar (a terminal). */
    BAR,
    /** A line every {@link #LINE_EVERY} and at the end (a log file, a pipe). */
    LINES,
    /** Nothing (machine output). */
    NONE;

    /** A bar on a terminal, lines otherwise; nothing for machine output. */
    static Display forOutput(boolean machine) {
      if (machine) return NONE;
      return System.console() != null ? BAR : LINES;
    }
  }

  private ProgressView() {}

  /** {@link #follow(String, Display, Supplier)} with a bar on a terminal, lines otherwise. */
  static Snapshot follow(String task, Supplier<Snapshot> source) throws InterruptedException {
    return follow(task, Display.forOutput(false), source);
  }

  static Snapshot follow(String task, Display display, Supplier<Snapshot> source) throws InterruptedException {
    return switch (display) {
      case BAR -> withBar(task, source);
      case LINES -> withLines(task, source, System.err);
      case NONE -> quietly(source);
    };
  }

  private static Snapshot withBar(String task, Supplier<Snapshot> source) throws InterruptedException {
    try (ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(-1)
        .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
        .setUpdateIntervalMillis((int) POLL.toMillis()).showSpeed().build()) {
      while (true) {
        Snapshot s = source.get();
        if (s.total() >= 0) bar.maxHint(s.total());
        bar.stepTo(s.done());
        bar.setExtraMessage(s.extra());
        if (s.finished()) return s;
        Thread.sleep(POLL.toMillis()); // polling a remote status for display, not synchronisation
      }
    }
  }

  private static Snapshot withLines(String task, Supplier<Snapshot> source, PrintStream out)
      throws InterruptedException {
    Instant nextLine = Instant.EPOCH;
    while (true) {
      Snapshot s = source.get();
      if (s.finished() || !Instant.now().isBefore(nextLine)) {
        out.println(task + ": " + s.done() + (s.total() >= 0 ? "/" + s.total() : "") + " " + s.extra());
        nextLine = Instant.now().plus(LINE_EVERY);
      }
      if (s.finished()) return s;
      Thread.sleep(POLL.toMillis()); // polling a remote status for display, not synchronisation
    }
  }

  private static Snapshot quietly(Supplier<Snapshot> source) throws InterruptedException {
    while (true) {
      Snapshot s = source.get();
      if (s.finished()) return s;
      Thread.sleep(POLL.toMillis()); // polling a remote status, not synchronisation
    }
  }

  /** A bar driven by a counter that the caller advances. */
  static ProgressBar counter(String task, long total) {
    return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).showSpeed().build();
  }
}
