package audience.service;

import java.util.concurrent.CountDownLatch;

/** Long-running commands: close what they started on Ctrl-C or SIGTERM, and block the main thread until then. */
public final class Shutdown {
  private final CountDownLatch stopped = new CountDownLatch(1);

  private Shutdown() {}

  /** Registers {@code closers} (run in order) as the JVM's shutdown work. */
  public static Shutdown onSignal(AutoCloseable... closers) {
    Shutdown s = new Shutdown();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (AutoCloseable c : closers) {
        try {
          c.close();
        } catch (Exception e) {
          System.err.println("error while stopping: " + e);
        }
      }
      s.stopped.countDown();
    }, "audience-shutdown"));
    return s;
  }

  /** Blocks until the shutdown work is done. */
  public void await() throws InterruptedException {
    stopped.await();
  }
}
