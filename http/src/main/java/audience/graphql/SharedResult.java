package audience.graphql;

import graphql.ExecutionResult;
import graphql.GraphQLError;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * An answer {@link ResultCache} keeps and gives to several requests: the execution's result, and its JSON rendered
 * once, by the first request that needs it (the same result renders to the same bytes).
 */
final class SharedResult implements ExecutionResult {
  private final ExecutionResult result;
  private volatile byte[] json;

  SharedResult(ExecutionResult result) {
    this.result = result;
  }

  /** The rendered answer; {@code render} runs once (or, in a race, a few times to the same bytes). */
  byte[] json(Function<ExecutionResult, byte[]> render) {
    byte[] j = json;
    if (j == null) {
      j = render.apply(result);
      json = j;
    }
    return j;
  }

  @Override
  public List<GraphQLError> getErrors() {
    return result.getErrors();
  }

  @Override
  public <T> T getData() {
    return result.getData();
  }

  @Override
  public boolean isDataPresent() {
    return result.isDataPresent();
  }

  @Override
  public Map<Object, Object> getExtensions() {
    return result.getExtensions();
  }

  @Override
  public Map<String, Object> toSpecification() {
    return result.toSpecification();
  }
}
