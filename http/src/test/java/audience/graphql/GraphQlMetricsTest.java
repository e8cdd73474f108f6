package audience.graphql;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GraphQlMetricsTest {
  @Test
  void operationNamesAreSanitisedAndCut() {
    assertThat(GraphQlMetrics.sanitised(null)).isEqualTo(GraphQlMetrics.ANONYMOUS);
    assertThat(GraphQlMetrics.sanitised("  ")).isEqualTo(GraphQlMetrics.ANONYMOUS);
    assertThat(GraphQlMetrics.sanitised("Segments_Page2")).isEqualTo("Segments_Page2");
    assertThat(GraphQlMetrics.sanitised("a\"b{c}=d")).isEqualTo("abcd");
    assertThat(GraphQlMetrics.sanitised("@.-")).isEqualTo(GraphQlMetrics.ANONYMOUS);
    assertThat(GraphQlMetrics.sanitised("x".repeat(100))).hasSize(GraphQlMetrics.MAX_NAME);
  }

  @Test
  void onlyTheFirstDistinctNamesGetATagOfTheirOwn() {
    GraphQlMetrics metrics = new GraphQlMetrics(new SimpleMeterRegistry(), 2);
    assertThat(metrics.operation("One")).isEqualTo("One");
    assertThat(metrics.operation("Two")).isEqualTo("Two");
    assertThat(metrics.operation("Three")).isEqualTo(GraphQlMetrics.OTHER);
    assertThat(metrics.operation("One")).as("a name already seen keeps its tag").isEqualTo("One");
    assertThat(metrics.operation(null)).as("anonymous takes no place").isEqualTo(GraphQlMetrics.ANONYMOUS);
  }
}
