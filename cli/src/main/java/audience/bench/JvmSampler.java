package audience.bench;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Samples the service's GET /ops/jvm every second and keeps the maxima of {@code heapPeakMb} and
 * {@code heapAfterGcMb}. Follows the service across a restart ({@code baseUrl} is asked each time); a sample
 * that fails (service down) is skipped.
 */
final class JvmSampler implements AutoCloseable {
  private final OpsHttp http = new OpsHttp();
  private final Supplier<String> baseUrl;
  private final AtomicLong peakMb = new AtomicLong(-1);
  private final AtomicLong afterGcMb = new AtomicLong(-1);
  private final AtomicLong maxMb = new AtomicLong(-1);
  private final AtomicLong samples = new AtomicLong();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-jvm-sampler");
    t.setDaemon(true);
    return t;
  });

  JvmSampler(Supplier<String> baseUrl) {
    this.baseUrl = baseUrl;
  }

  JvmSampler start() {
    timer.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
    return this;
  }

  /** One sample now (also called once more at the end). */
  void sample() {
    try {
      OpsHttp.Reply r = http.get(baseUrl.get() + "/ops/jvm");
      if (!r.ok()) return;
      peakMb.accumulateAndGet(r.body().path("heapPeakMb").asLong(-1), Math::max);
      afterGcMb.accumulateAndGet(r.body().path("heapAfterGcMb").asLong(-1), Math::max);
      maxMb.accumulateAndGet(r.body().path("heapMaxMb").asLong(-1), Math::max);
      samples.incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception down) {
      // the service is restarting or gone: skip this sample
    }
  }

  long peakMb() {
    return peakMb.get();
  }

  long afterGcMb() {
    return afterGcMb.get();
  }

  long heapMaxMb() {
    return maxMb.get();
  }

  long samples() {
    return samples.get();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
