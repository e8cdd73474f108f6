package audience.http;

import audience.ingestion.Ingestion;
import audience.ingestion.IngestionRun;
import audience.ingestion.RunConflict;
import audience.ingestion.RunIds;
import audience.ingestion.TriggerMessage;
import audience.store.QuarantineStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.pattern.StatusReply;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.SortedMap;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Management endpoints for operators:
 * <pre>
 * GET  /ops/health                          liveness ({@link #health()}: open, for a load balancer's probe)
 * GET  /ops/jvm                             heap now, peak since start, after the last GC (MB)
 * POST /ops/ingestions                      start a run: {"bucket", "prefix"?, "expectedFiles"?, "uploadId"?}
 * GET  /ops/ingestions                      every run (read model), newest first
 * GET  /ops/ingestions/{id}                 live status: listed, ingested, quarantined, rate, ETA
 * POST /ops/ingestions/{id}/pause|resume|cancel
 * GET  /ops/ingestions/{id}/quarantine      the run's quarantined files in key order, a page at a time:
 *                                           ?reason=KIND&amp;limit=N&amp;after=TOKEN (see {@link QuarantineQuery})
 * GET  /ops/ingestions/{id}/quarantine/summary   how many files of each kind (reason) the run quarantined
 * POST /ops/ingestions/{id}/redrive         re-ingest the run's quarantined files as a new run linked to it
 * </pre>
 * Errors are JSON {"error": "...", "status": n} with 400 for a bad request, 404 for an unknown run and 409
 * for a state change the run cannot make. Every route but health needs an operator's bearer token
 * ({@link OperatorAuth}, put in front of them once for every /ops route).
 */
public final class OpsRoutes extends AllDirectives {
  private final Ingestion ingestion;
  private final QuarantineStore quarantine;
  private final ObjectMapper json = JsonSupport.mapper();

  public OpsRoutes(Ingestion ingestion, QuarantineStore quarantine) {
    this.ingestion = ingestion;
    this.quarantine = quarantine;
  }

  /** A page of a run's quarantine; {@code next} is the token of the page after it, null after the last. */
  public record QuarantinePage(String runId, String reason, List<QuarantineStore.Quarantined> entries, String next) {}

  /** How many files a run quarantined, in all and by kind. */
  public record QuarantineSummary(String runId, long quarantined, SortedMap<String, Long> byReason) {}

  /** {@code GET /ops/health}: liveness, answered without a token. */
  public Route health() {
    return pathPrefix("ops", () -> path("health", () -> get(() ->
        complete(JsonSupport.response(json, StatusCodes.OK, Map.of("status", "ok"))))));
  }

  /** Every route but {@link #health()}. */
  public Route routes() {
    return pathPrefix("ops", () -> concat(
        path("jvm", () -> get(() -> complete(JsonSupport.response(json, StatusCodes.OK, JvmStats.now())))),
        pathPrefix("ingestions", () -> concat(
            pathEnd(() -> concat(
                post(() -> entity(Unmarshaller.entityToString(), this::start)),
                get(() -> reply(ingestion.list(), StatusCodes.OK)))),
            pathPrefix(PathMatchers.segment(), id -> !id.matches(RunIds.PATTERN)
                // Ingestion refuses such an id by throwing, which the default handler answers with a bare 500
                ? complete(JsonSupport.error(json, StatusCodes.BAD_REQUEST, "not a run id: " + id))
                : run(id))))));
  }

  /** The routes of one run, {@code id} a well-formed run id. */
  private Route run(String id) {
    return concat(
        pathEnd(() -> get(() -> reply(ingestion.require(id), StatusCodes.OK))),
        path("pause", () -> post(() -> control(id, ingestion::pause))),
        path("resume", () -> post(() -> control(id, ingestion::resume))),
        path("cancel", () -> post(() -> control(id, ingestion::cancel))),
        path("redrive", () -> post(() -> redrive(id))),
        pathPrefix("quarantine", () -> concat(
            pathEnd(() -> get(() -> parameterOptional("reason", reason -> parameterOptional("limit",
                limit -> parameterOptional("after", after -> quarantinePage(id, reason, limit, after)))))),
            path("summary", () -> get(() -> reply(ingestion.require(id)
                .thenCompose(s -> quarantine.countsByKind(id))
                .thenApply(byReason -> new QuarantineSummary(id,
                    byReason.values().stream().mapToLong(Long::longValue).sum(), byReason)), StatusCodes.OK))))));
  }

  private Route quarantinePage(String id, Optional<String> reason, Optional<String> limit, Optional<String> after) {
    QuarantineQuery.Parsed parsed = QuarantineQuery.parse(reason, limit, after);
    if (parsed instanceof QuarantineQuery.Invalid invalid) {
      return complete(JsonSupport.error(json, StatusCodes.BAD_REQUEST, invalid.error()));
    }
    QuarantineQuery q = ((QuarantineQuery.Valid) parsed).query();
    return reply(ingestion.require(id).thenCompose(s -> quarantine.page(id, q.reason(), q.afterKey(), q.limit()))
        .thenApply(page -> new QuarantinePage(id, q.reason(), page.entries(),
            page.next() == null ? null : QuarantineQuery.encode(page.next()))), StatusCodes.OK);
  }

  private Route redrive(String id) {
    return onComplete(ingestion.redrive(id), t -> complete(t.isSuccess()
        ? JsonSupport.response(json, t.get().created() ? StatusCodes.ACCEPTED : StatusCodes.OK, t.get())
        : failure(t.failed().get())));
  }

  private Route start(String body) {
    TriggerMessage.Parsed parsed = TriggerMessage.parse(json, body, UUID.randomUUID().toString(), "ops");
    if (parsed instanceof TriggerMessage.Refused refused) {
      return complete(JsonSupport.error(json, StatusCodes.BAD_REQUEST, "invalid ingestion request: " + refused.reason()));
    }
    var spec = ((TriggerMessage.Run) parsed).spec();
    boolean idempotent = hasUploadId(body);
    return onComplete(ingestion.start(spec), t -> {
      if (t.isFailure()) return complete(failure(t.failed().get()));
      Map<String, Object> answer = new java.util.LinkedHashMap<>(Map.of("runId", t.get().runId(),
          "created", t.get().created(), "bucket", spec.bucket(), "prefix", spec.prefix(), "idempotent", idempotent));
      if (!idempotent) answer.put("note", NOT_IDEMPOTENT);
      return complete(JsonSupport.response(json, t.get().created() ? StatusCodes.ACCEPTED : StatusCodes.OK, answer));
    });
  }

  private static final String NOT_IDEMPOTENT = "no uploadId: every such request starts a new run; send an uploadId"
      + " to make the request safe to repeat";

  private boolean hasUploadId(String body) {
    try {
      return json.readTree(body).hasNonNull("uploadId");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return false; // the parser already accepted the body
    }
  }

  private Route control(String id, Function<String, CompletionStage<IngestionRun.View>> action) {
    return onComplete(ingestion.require(id).thenCompose(s -> action.apply(id)).thenCompose(v -> ingestion.require(id)),
        t -> complete(t.isSuccess() ? JsonSupport.response(json, StatusCodes.OK, t.get()) : failure(t.failed().get())));
  }

  private <T> Route reply(CompletionStage<T> result, org.apache.pekko.http.javadsl.model.StatusCode ok) {
    return onComplete(result, t -> complete(t.isSuccess()
        ? JsonSupport.response(json, ok, t.get()) : failure(t.failed().get())));
  }

  private org.apache.pekko.http.javadsl.model.HttpResponse failure(Throwable t) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof NoSuchElementException) return JsonSupport.error(json, StatusCodes.NOT_FOUND, e.getMessage());
    if (e instanceof IllegalArgumentException) return JsonSupport.error(json, StatusCodes.BAD_REQUEST, e.getMessage());
    if (e instanceof StatusReply.ErrorMessage || e instanceof RunConflict) {
      return JsonSupport.error(json, StatusCodes.CONFLICT, e.getMessage());
    }
    return JsonSupport.error(json, StatusCodes.INTERNAL_SERVER_ERROR, e.toString());
  }
}
