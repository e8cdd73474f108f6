package audience.segments;

import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;
import audience.store.MemberStore;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static audience.segments.SegmentFixtures.ACTIVE;
import static audience.segments.SegmentFixtures.RULES;
import static audience.segments.SegmentFixtures.aggregator;
import static org.assertj.core.api.Assertions.assertThat;

class ScanAggregationTest {
  private static final int THREADS = 4;
  private static final int ITEMS = 4000;
  private static final String[] SUBURBS = {"Bondi", "Newtown", "Manly"};

  @Test
  void itemsFedFromSeveralThreadsCountAsIfFedByOne() throws Exception {
    List<Map<String, AttributeValue>> items = new ArrayList<>();
    for (int i = 0; i < ITEMS; i++) {
      MemberProfile p = new MemberProfile("m-scan" + i, "x" + i + "@example.com", i % 5 != 0, SUBURBS[i % 3], "2000",
          AuState.NSW, Intent.values()[i % 4], PropertyType.HOUSE, i % 11, 1000L * i, 1000L * i + 500,
          Instant.ofEpochMilli(SegmentFixtures.RECENT - i * 1000L * 1000), List.of());
      items.add(MemberStore.toItem(new MemberStore.Snapshot(p, "k" + i, "run-1")));
    }
    SegmentAggregator one = aggregator();
    items.forEach(one::addItem);

    ScanAggregation scan = new ScanAggregation(RULES, ACTIVE);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> parts = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int first = t;
        parts.add(pool.submit(() -> {
          for (int i = first; i < ITEMS; i += THREADS) scan.accept(items.get(i));
        }));
      }
      for (Future<?> f : parts) f.get();
    } finally {
      pool.shutdown();
    }
    SegmentAggregator all = scan.result();
    assertThat(all.tally()).isEqualTo(one.tally());
    assertThat(all.tally().rows()).isEqualTo(ITEMS);
    assertThat(all.tally().inactive()).isPositive();
    assertThat(all.aggregates()).isEqualTo(one.aggregates());
  }
}
