package audience.graphql;

import audience.auth.Caller;
import audience.bookings.Booking;
import audience.graphql.Views.BookingNode;
import audience.graphql.Views.BookingPayload;
import audience.graphql.Views.GenerationNode;
import audience.graphql.Views.GenerationPayload;
import audience.graphql.Views.ManifestNode;
import audience.graphql.Views.QuarantinedNode;
import audience.graphql.Views.RunNode;
import audience.graphql.Views.RunPayload;
import audience.graphql.Views.SegmentNode;
import audience.graphql.Views.TransitionNode;
import audience.ingestion.IngestionStatus;
import audience.ingestion.RunIds;
import audience.ingestion.TriggerMessage;
import audience.store.BookingStore.BookingRow;
import audience.store.QuarantineStore;
import audience.store.SegmentStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.TypeRuntimeWiring;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.dataloader.DataLoaderRegistry;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The schema's data fetchers and the data loaders that batch what a page's items ask: a page of segments asking
 * their bookings makes one bookings read, whatever the page size; bookings asking their segment make one segments
 * read; their histories one entity ask per segment.
 */
final class Fetchers {
  static final String BOOKINGS_BY_SEGMENT = "bookingsBySegment";
  static final String SEGMENT_BY_ID = "segmentById";
  static final String HISTORY = "bookingHistory";
  static final String PROGRESS = "runProgress";
  private static final int MAX_TEXT = 200;
  private static final Pattern BOOKING_ID = Pattern.compile("b-[0-9a-f]{20}");
  private static final String ORIGIN = "graphql";

  private final ApiBackend backend;
  private final int maxPage;
  private final ObjectMapper json = new ObjectMapper();

  private final Subscriptions subscriptions;

  Fetchers(ApiBackend backend, int maxPage, java.time.Duration pollInterval) {
    this.backend = backend;
    this.maxPage = maxPage;
    this.subscriptions = new Subscriptions(backend, pollInterval);
  }

  /** A booking's history is looked up in its segment's entity. */
  private record BookingKey(String segmentId, String bookingId) {}

  DataLoaderRegistry loaders() {
    DataLoader<String, List<BookingRow>> bookings = DataLoaderFactory.newMappedDataLoader((Set<String> segments) ->
        backend.bookings(Optional.empty(), Optional.empty()).thenApply(rows -> {
          Map<String, List<BookingRow>> by = new HashMap<>();
          for (String s : segments) by.put(s, new ArrayList<>());
          for (BookingRow r : rows) if (by.containsKey(r.segmentId())) by.get(r.segmentId()).add(r);
          return by;
        }));
    DataLoader<String, SegmentNode> segments = DataLoaderFactory.newMappedDataLoader((Set<String> ids) ->
        backend.segments(Optional.empty(), SegmentStore.Filter.ALL)
            .thenApply(l -> l.segments().stream().filter(r -> ids.contains(r.segmentId()))
                .collect(Collectors.toMap(SegmentStore.SegmentRow::segmentId, SegmentNode::of)))
            .exceptionally(noGeneration -> Map.of()));
    DataLoader<BookingKey, List<TransitionNode>> history = DataLoaderFactory.newMappedDataLoader((Set<BookingKey> keys) -> {
      Map<String, List<BookingKey>> bySegment = keys.stream().collect(Collectors.groupingBy(BookingKey::segmentId));
      List<CompletableFuture<Map<BookingKey, List<TransitionNode>>>> asks = new ArrayList<>();
      bySegment.forEach((segment, ks) -> asks.add(backend.segmentBookings(segment).toCompletableFuture()
          .thenApply(all -> {
            Map<String, Booking> byId = all.stream().collect(Collectors.toMap(Booking::bookingId, b -> b));
            Map<BookingKey, List<TransitionNode>> m = new HashMap<>();
            for (BookingKey k : ks) {
              Booking b = byId.get(k.bookingId());
              m.put(k, b == null ? List.of() : BookingNode.history(b));
            }
            return m;
          })));
      return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(v -> {
        Map<BookingKey, List<TransitionNode>> all = new HashMap<>();
        asks.forEach(a -> all.putAll(a.join()));
        return all;
      });
    });
    DataLoader<String, Views.ProgressNode> progress = DataLoaderFactory.newMappedDataLoader((Set<String> runs) -> {
      Map<String, CompletableFuture<Optional<IngestionStatus>>> asks = new LinkedHashMap<>();
      for (String r : runs) asks.put(r, backend.run(r).toCompletableFuture());
      return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
        Map<String, Views.ProgressNode> m = new HashMap<>();
        asks.forEach((r, f) -> f.join().ifPresent(s -> m.put(r, Views.ProgressNode.of(s))));
        return m;
      });
    });
    DataLoaderRegistry registry = new DataLoaderRegistry();
    registry.register(BOOKINGS_BY_SEGMENT, bookings);
    registry.register(SEGMENT_BY_ID, segments);
    registry.register(HISTORY, history);
    registry.register(PROGRESS, progress);
    return registry;
  }

  RuntimeWiring.Builder wiring(RuntimeWiring.Builder w) {
    return w
        .type(TypeRuntimeWiring.newTypeWiring("Query")
            .dataFetcher("me", env -> caller(env))
            .dataFetcher("manifest", env -> backend.latestManifest().thenApply(m -> m.map(ManifestNode::of)
                .orElse(null)))
            .dataFetcher("segments", this::segments)
            .dataFetcher("segment", this::segment)
            .dataFetcher("bookings", this::bookings)
            .dataFetcher("booking", this::booking)
            .dataFetcher("runs", this::runs)
            .dataFetcher("run", env -> backend.run(runId(env.getArgument("id")))
                .thenApply(s -> s.map(RunNode::of).orElse(null))))
        .type(TypeRuntimeWiring.newTypeWiring("Segment").dataFetcher("bookings", this::segmentBookings))
        .type(TypeRuntimeWiring.newTypeWiring("Booking")
            .dataFetcher("segment", env -> Fetchers.<String, SegmentNode>load(env, SEGMENT_BY_ID,
                env.<BookingNode>getSource().segmentId()))
            .dataFetcher("history", env -> {
              BookingNode b = env.getSource();
              if (b.history() != null) return b.history();
              return Fetchers.<BookingKey, List<TransitionNode>>load(env, HISTORY,
                  new BookingKey(b.segmentId(), b.id()));
            }))
        .type(TypeRuntimeWiring.newTypeWiring("Run")
            .dataFetcher("progress", env -> {
              RunNode r = env.getSource();
              if (r.progress() != null) return r.progress();
              return Fetchers.<String, Views.ProgressNode>load(env, PROGRESS, r.id());
            })
            .dataFetcher("quarantine", this::quarantine))
        .type(TypeRuntimeWiring.newTypeWiring("Subscription")
            .dataFetcher("bookingChanged", subscriptions::bookingChanged)
            .dataFetcher("runProgress", subscriptions::runProgress))
        .type(TypeRuntimeWiring.newTypeWiring("Mutation")
            .dataFetcher("bookSegment", this::bookSegment)
            .dataFetcher("cancelBooking", env -> bookingPayload(backend.cancelBooking(bookingId(env.getArgument("id")))))
            .dataFetcher("startIngestion", this::startIngestion)
            .dataFetcher("pauseIngestion", env -> control(runId(env.getArgument("id")), backend::pauseIngestion))
            .dataFetcher("resumeIngestion", env -> control(runId(env.getArgument("id")), backend::resumeIngestion))
            .dataFetcher("cancelIngestion", env -> control(runId(env.getArgument("id")), backend::cancelIngestion))
            .dataFetcher("regenerateSegments", env -> backend.regenerate(runId(env.getArgument("run")))
                .thenApply(v -> new GenerationPayload(GenerationNode.of(v), null))
                .exceptionally(e -> new GenerationPayload(null, refusal(e)))));
  }

  /**
   * Loads through the request's data loader. A subscription's events are executed one by one, outside the dispatch
   * of a query's levels: there the loader is dispatched at once (one read per event instead of a stall).
   */
  private static <K, V> CompletableFuture<V> load(DataFetchingEnvironment env, String loader, K key) {
    DataLoader<K, V> l = env.getDataLoader(loader);
    CompletableFuture<V> f = l.load(key);
    if (env.getOperationDefinition().getOperation() == graphql.language.OperationDefinition.Operation.SUBSCRIPTION) {
      l.dispatch();
    }
    return f;
  }

  private static Caller caller(DataFetchingEnvironment env) {
    return env.getGraphQlContext().get(Caller.class);
  }

  private CompletionStage<Pages.Connection<SegmentNode>> segments(DataFetchingEnvironment env) {
    Map<String, Object> f = env.getArgumentOrDefault("filter", Map.of());
    Number min = (Number) f.get("minAudience");
    SegmentStore.Filter filter = new SegmentStore.Filter(text(f, "state"), text(f, "suburb"), text(f, "intent"),
        text(f, "propertyType"), min == null ? 0 : min.longValue());
    Integer first = env.getArgument("first");
    String after = env.getArgument("after");
    Pages.size(first, maxPage);
    return backend.segments(Optional.ofNullable((String) env.getArgument("run")).map(Fetchers::runId), filter)
        .thenApply(l -> Pages.slice(l.segments(), SegmentStore.SegmentRow::segmentId, SegmentNode::of, first, after,
            maxPage, l.generationId()));
  }

  private CompletionStage<SegmentNode> segment(DataFetchingEnvironment env) {
    String id = env.getArgument("id");
    return backend.segments(Optional.ofNullable((String) env.getArgument("run")).map(Fetchers::runId),
            SegmentStore.Filter.ALL)
        .thenApply(l -> l.segments().stream().filter(r -> r.segmentId().equals(id)).findFirst()
            .map(SegmentNode::of).orElse(null));
  }

  private static String bookingKey(BookingRow r) {
    return r.bookingId();
  }

  private CompletionStage<Pages.Connection<BookingNode>> bookings(DataFetchingEnvironment env) {
    Map<String, Object> f = env.getArgumentOrDefault("filter", Map.of());
    Optional<String> status = Optional.ofNullable((String) f.get("status")).map(s -> s.toLowerCase(Locale.ROOT));
    Optional<String> segment = Optional.ofNullable((String) f.get("segmentId"));
    Integer first = env.getArgument("first");
    Pages.size(first, maxPage);
    return backend.bookings(status, segment).thenApply(rows -> Pages.slice(rows, Fetchers::bookingKey,
        BookingNode::of, first, env.getArgument("after"), maxPage, null));
  }

  private CompletionStage<Pages.Connection<BookingNode>> segmentBookings(DataFetchingEnvironment env) {
    SegmentNode s = env.getSource();
    Optional<String> status = Optional.ofNullable((String) env.getArgument("status"));
    Integer first = env.getArgument("first");
    Pages.size(first, maxPage);
    String after = env.getArgument("after");
    return Fetchers.<String, List<BookingRow>>load(env, BOOKINGS_BY_SEGMENT, s.id()).thenApply(rows ->
        Pages.slice(rows.stream().filter(r -> status.isEmpty() || r.status().equalsIgnoreCase(status.get())).toList(),
            Fetchers::bookingKey, BookingNode::of, first, after, maxPage, null));
  }

  private CompletionStage<BookingNode> booking(DataFetchingEnvironment env) {
    return backend.booking(bookingId(env.getArgument("id"))).thenApply(r -> r.map(BookingNode::of).orElse(null));
  }

  private CompletionStage<Pages.Connection<RunNode>> runs(DataFetchingEnvironment env) {
    Map<String, Object> f = env.getArgumentOrDefault("filter", Map.of());
    String phase = (String) f.get("phase");
    Integer first = env.getArgument("first");
    Pages.size(first, maxPage);
    return backend.runs().thenApply(all -> Pages.slice(all.stream()
            .filter(r -> phase == null || r.state().name().equals(phase)).toList(),
        r -> r.runId(), RunNode::of, first, env.getArgument("after"), maxPage, null));
  }

  private CompletionStage<Pages.Connection<QuarantinedNode>> quarantine(DataFetchingEnvironment env) {
    RunNode run = env.getSource();
    String reason = env.getArgument("reason");
    if (reason != null && !reason.matches(audience.http.QuarantineQuery.KIND_PATTERN)) {
      throw new ApiException(ErrorCode.INVALID_ARGUMENT, "reason must be a rejection kind, e.g. OUT_OF_RANGE");
    }
    int size = Math.min(Pages.size(env.getArgument("first"), maxPage), QuarantineStore.MAX_PAGE);
    String after = env.getArgument("after");
    String afterKey = after == null ? null : Pages.key(after);
    return backend.quarantine(run.id(), reason, afterKey, Math.max(size, 1)).thenApply(page -> {
      List<QuarantineStore.Quarantined> entries = page.entries().subList(0, Math.min(size, page.entries().size()));
      List<Pages.Edge<QuarantinedNode>> edges = entries.stream()
          .map(q -> new Pages.Edge<>(Pages.cursor(q.fileKey()), QuarantinedNode.of(q))).toList();
      return new Pages.Connection<>(edges, new Pages.PageInfo(page.next() != null, after != null,
          edges.isEmpty() ? null : edges.get(0).cursor(), edges.isEmpty() ? null : edges.get(edges.size() - 1).cursor()),
          edges.size(), null);
    });
  }

  private CompletionStage<BookingPayload> bookSegment(DataFetchingEnvironment env) {
    Map<String, Object> in = env.getArgument("input");
    String segmentId = required(in, "segmentId");
    String campaign = required(in, "campaign");
    LocalDate sendDate;
    try {
      sendDate = LocalDate.parse(required(in, "sendDate"));
    } catch (DateTimeParseException e) {
      return CompletableFuture.completedFuture(new BookingPayload(null, DomainErrors.node(
          DomainErrors.DomainCode.INVALID_ARGUMENT, "sendDate must be a date as YYYY-MM-DD")));
    }
    return bookingPayload(backend.book(segmentId, campaign, sendDate, caller(env).subject()));
  }

  private CompletionStage<BookingPayload> bookingPayload(CompletionStage<Booking> result) {
    return result.thenApply(b -> new BookingPayload(BookingNode.of(b), null))
        .exceptionally(e -> new BookingPayload(null, refusal(e)));
  }

  private CompletionStage<RunPayload> startIngestion(DataFetchingEnvironment env) {
    Map<String, Object> in = env.getArgument("input");
    String body;
    try {
      body = json.writeValueAsString(in);
    } catch (Exception e) {
      throw new ApiException(ErrorCode.INVALID_ARGUMENT, "the input cannot be read");
    }
    TriggerMessage.Parsed parsed = TriggerMessage.parse(json, body, UUID.randomUUID().toString(), ORIGIN);
    if (parsed instanceof TriggerMessage.Refused refused) {
      return CompletableFuture.completedFuture(new RunPayload(null, DomainErrors.node(
          DomainErrors.DomainCode.INVALID_ARGUMENT, "invalid ingestion request: " + refused.reason())));
    }
    var spec = ((TriggerMessage.Run) parsed).spec();
    return withRun(backend.startIngestion(spec).thenApply(started -> started.runId()));
  }

  private CompletionStage<RunPayload> control(String runId,
                                              Function<String, CompletionStage<?>> action) {
    return withRun(action.apply(runId).thenApply(v -> runId));
  }

  /** The run as it stands after the action, or the action's refusal. */
  private CompletionStage<RunPayload> withRun(CompletionStage<String> action) {
    return action.thenCompose(id -> backend.run(id))
        .thenApply(s -> new RunPayload(s.map(RunNode::of).orElse(null), null))
        .exceptionally(e -> new RunPayload(null, refusal(e)));
  }

  /** A refusal as a typed error; a failure that is none fails the field (INTERNAL, detail logged). */
  private static Views.DomainErrorNode refusal(Throwable e) {
    return DomainErrors.of(e).orElseThrow(() -> e instanceof RuntimeException r ? r
        : new java.util.concurrent.CompletionException(e));
  }

  private static String text(Map<String, Object> m, String field) {
    Object v = m.get(field);
    if (v == null) return null;
    String s = v.toString().strip();
    if (s.isEmpty() || s.length() > MAX_TEXT) {
      throw new ApiException(ErrorCode.INVALID_ARGUMENT, field + " must be 1 to " + MAX_TEXT + " characters");
    }
    return s;
  }

  private static String required(Map<String, Object> m, String field) {
    String s = text(m, field);
    if (s == null) throw new ApiException(ErrorCode.INVALID_ARGUMENT, field + " is required");
    return s;
  }

  static String runId(String id) {
    if (id == null || !id.matches(RunIds.PATTERN)) {
      throw new ApiException(ErrorCode.INVALID_ARGUMENT, "not a run id");
    }
    return id;
  }

  static String bookingId(String id) {
    if (id == null || !BOOKING_ID.matcher(id).matches()) {
      throw new ApiException(ErrorCode.INVALID_ARGUMENT, "not a booking id (b- and 20 hex digits)");
    }
    return id;
  }
}
