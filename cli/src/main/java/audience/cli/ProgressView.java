package audience.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.time.Duration;
import java.util.function.Supplier;

/** A progress bar on stderr that follows a changing count until it says it is finished. */
final class ProgressView {
  private static final Duration POLL = Duration.ofMillis(500);

  /** One look at the work: done of total (total -1 while unknown), a short text, finished or not. */
  record Snapshot(long done, long total, String extra, boolean finished) {}

  private ProgressView() {}

  static Snapshot follow(String task, Supplier<Snapshot> source) throws InterruptedException {
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

  /** A bar driven by a counter that the caller advances. */
  static ProgressBar counter(String task, long total) {
    return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).showSpeed().build();
  }
}
