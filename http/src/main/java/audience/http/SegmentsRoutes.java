package audience.http;

import audience.ingestion.RunIds;
import audience.segments.SegmentGenerations;
import audience.store.SegmentStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;

import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Segments, for operators:
 * <pre>
 * GET  /ops/segments?run=ID&amp;state=&amp;suburb=&amp;intent=&amp;propertyType=&amp;minAudience=
 *                                         a generation's segments (the run's, else the latest manifest's)
 * GET  /ops/segments/generations          every generation and its phase, newest first
 * GET  /ops/segments/generations/{run}    one run's generation: phase, segments, manifest, timings
 * POST /ops/segments/regenerate?run=ID    generates the run's segments again (same generation id)
 * </pre>
 * 400 for a malformed run id or minAudience, 404 for a run without a generation, 409 when the run has none to redo.
 */
public final class SegmentsRoutes extends AllDirectives {
  private final SegmentGenerations segments;
  private final ObjectMapper json = JsonSupport.mapper();

  public SegmentsRoutes(SegmentGenerations segments) {
    this.segments = segments;
  }

  public Route routes() {
    return pathPrefix("ops", () -> pathPrefix("segments", () -> concat(
        pathEnd(() -> get(() -> parameterOptional("run", run -> parameterOptional("state", state ->
            parameterOptional("suburb", suburb -> parameterOptional("intent", intent ->
                parameterOptional("propertyType", type -> parameterOptional("minAudience", min ->
                    list(run, state, suburb, intent, type, min))))))))),
        pathPrefix("generations", () -> concat(
            pathEnd(() -> get(() -> reply(segments.generations()))),
            path(org.apache.pekko.http.javadsl.server.PathMatchers.segment(), run -> get(() -> runId(run)
                .map(id -> reply(segments.status(id).thenApply(v -> v.orElseThrow(() ->
                    new NoSuchElementException("run " + id + " has no segment generation")))))
                .orElseGet(() -> badRun(run)))))),
        path("regenerate", () -> post(() -> parameter("run", run -> runId(run)
            .map(id -> reply(segments.regenerate(id))).orElseGet(() -> badRun(run))))))));
  }

  private Route list(Optional<String> run, Optional<String> state, Optional<String> suburb, Optional<String> intent,
                     Optional<String> type, Optional<String> min) {
    if (run.isPresent() && runId(run.get()).isEmpty()) return badRun(run.get());
    long minAudience;
    try {
      minAudience = min.map(Long::parseLong).orElse(0L);
    } catch (NumberFormatException e) {
      return complete(JsonSupport.error(json, StatusCodes.BAD_REQUEST, "minAudience must be a whole number"));
    }
    return reply(segments.list(run, new SegmentStore.Filter(state.orElse(null), suburb.orElse(null),
        intent.orElse(null), type.orElse(null), minAudience)));
  }

  private static Optional<String> runId(String run) {
    return run.matches(RunIds.PATTERN) ? Optional.of(run) : Optional.empty();
  }

  private Route badRun(String run) {
    return complete(JsonSupport.error(json, StatusCodes.BAD_REQUEST, "not a run id (" + RunIds.PATTERN + ")"));
  }

  private <T> Route reply(CompletionStage<T> result) {
    return onComplete(result, t -> {
      if (t.isSuccess()) return complete(JsonSupport.response(json, StatusCodes.OK, t.get()));
      Throwable e = t.failed().get() instanceof CompletionException c && c.getCause() != null ? c.getCause()
          : t.failed().get();
      if (e instanceof NoSuchElementException) return complete(JsonSupport.error(json, StatusCodes.NOT_FOUND,
          e.getMessage()));
      if (e instanceof StatusReply.ErrorMessage) return complete(JsonSupport.error(json, StatusCodes.CONFLICT,
          e.getMessage()));
      return complete(JsonSupport.error(json, StatusCodes.INTERNAL_SERVER_ERROR, e.toString()));
    });
  }
}
