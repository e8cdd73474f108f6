package audience.http;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/** Heap figures of this JVM in MB: used now, the peak since start (sum of heap pools' peaks), after last GC. */
public record JvmStats(long heapUsedMb, long heapPeakMb, long heapAfterGcMb, long heapMaxMb) {
  private static final long MB = 1024 * 1024;

  public static JvmStats now() {
    long peak = 0;
    long afterGc = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() != MemoryType.HEAP) continue;
      peak += pool.getPeakUsage().getUsed();
      if (pool.getCollectionUsage() != null) afterGc += pool.getCollectionUsage().getUsed();
    }
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return new JvmStats(heap.getUsed() / MB, peak / MB, afterGc / MB, heap.getMax() / MB);
  }
}
