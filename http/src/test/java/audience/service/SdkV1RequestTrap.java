package audience.service;

import com.amazonaws.Request;
import com.amazonaws.handlers.RequestHandler2;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A global AWS SDK v1 request handler for tests: listed in {@code com/amazonaws/global/handlers/request.handler2s}
 * (test resources), so SDK v1 adds it to every client it builds in a test JVM, such as the journal's and the snapshot
 * store's (pekko-persistence-dynamodb). Disarmed, it lets every request through. Armed, it records each request as
 * it is about to be sent (endpoint, signing region and credentials resolved) and stops it there, so nothing leaves
 * the JVM.
 */
public final class SdkV1RequestTrap extends RequestHandler2 {
  private static final AtomicReference<BlockingQueue<Request<?>>> ARMED = new AtomicReference<>();

  /** Thrown in place of sending. */
  public static final class Stopped extends RuntimeException {
    Stopped() {
      super("stopped by SdkV1RequestTrap before sending", null, false, false);
    }
  }

  /** Arms the trap; the queue receives every request from now until {@link #disarm()}. */
  public static BlockingQueue<Request<?>> arm() {
    BlockingQueue<Request<?>> requests = new LinkedBlockingQueue<>();
    if (!ARMED.compareAndSet(null, requests)) throw new IllegalStateException("the trap is already armed");
    return requests;
  }

  public static void disarm() {
    ARMED.set(null);
  }

  @Override
  public void beforeRequest(Request<?> request) {
    BlockingQueue<Request<?>> requests = ARMED.get();
    if (requests == null) return;
    requests.add(request);
    throw new Stopped();
  }
}
