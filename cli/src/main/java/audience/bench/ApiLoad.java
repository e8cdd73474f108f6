package audience.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import me.tongfei.progressbar.ProgressBar;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The load of {@code ./audience bench api}: N connections ({@link ApiClient}s), each a thread in a closed loop (one
 * request in flight: the next is sent when the answer is read), going round the same cycle of operations. A phase
 * runs for its warm-up and then its measured window; a request counts when it started within the window, and the
 * phase ends when every connection's last request is answered. The connections keep their state across phases: where
 * they are in the segment pages, their bookings.
 */
final class ApiLoad {
  /** How often the progress bar moves while a phase runs. */
  static final Duration PROGRESS_TICK = Duration.ofSeconds(1);
  /** How much of an unexpected answer the log shows. */
  private static final int LOGGED_ANSWER_CHARS = 300;

  /**
   * What the connections read and book.
   *
   * @param pageCursors the {@code after} of every page of the latest generation's segments, in order (the first null)
   * @param segmentIds the segments to book, each in the latest generation
   * @param firstSendDate the first send date booked (far enough from today in any zone)
   */
  record Plan(List<String> pageCursors, int pageSize, List<String> segmentIds, LocalDate firstSendDate,
              String campaign) {
    Plan {
      if (pageCursors.isEmpty() || segmentIds.isEmpty()) throw new IllegalArgumentException("nothing to read or book");
      pageCursors = Collections.unmodifiableList(new ArrayList<>(pageCursors)); // the first is null: List.copyOf refuses it
      segmentIds = List.copyOf(segmentIds);
    }
  }

  /** A (segment, send date) to book: one live booking per segment per send date (BookingRules). */
  record Pair(String segmentId, LocalDate sendDate) {}

  /**
   * The {@code k}-th booking of connection {@code i} of {@code n}: the (k × n + i)-th pair, counting every segment on
   * the first send date, then every segment on the next day, and so on. No two (connection, k) get the same pair, so
   * no booking of the bench is refused as already booked, whatever its cancels did.
   */
  static Pair pair(int connection, long k, int connections, List<String> segmentIds, LocalDate firstSendDate) {
    long g = k * connections + connection;
    int s = segmentIds.size();
    return new Pair(segmentIds.get((int) (g % s)), firstSendDate.plusDays(g / s));
  }

  /** A phase's samples per operation and its measured window. */
  record Phase(Map<ApiOperation, ApiSamples> samples, Duration window) {
    Phase {
      samples = samples.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(samples));
    }

    ApiSamples of(ApiOperation op) {
      return samples.getOrDefault(op, ApiSamples.NONE);
    }
  }

  private final Plan plan;
  private final List<Connection> connections = new ArrayList<>();
  private final Map<String, Boolean> loggedErrors = new ConcurrentHashMap<>();

  /** One connection per token. */
  ApiLoad(URI endpoint, List<String> tokens, Plan plan, Duration requestTimeout) {
    this.plan = plan;
    for (int i = 0; i < tokens.size(); i++) {
      connections.add(new Connection(i, new ApiClient(endpoint, tokens.get(i), requestTimeout)));
    }
  }

  /** Runs every connection round {@code cycle} for {@code warmup} then {@code measure}; what the window measured. */
  Phase run(String name, List<ApiOperation> cycle, Duration warmup, Duration measure) throws InterruptedException {
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long until = measureFrom + measure.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(connections.size(), r -> {
      Thread t = new Thread(r, "bench-api-" + name);
      t.setDaemon(true);
      return t;
    });
    List<Future<Map<ApiOperation, ApiSamples.Recorder>>> loops = new ArrayList<>();
    connections.forEach(c -> loops.add(pool.submit(() -> c.loop(cycle, measureFrom, until))));
    pool.shutdown();
    try (ProgressBar bar = Progress.bar(name, warmup.plus(measure).toSeconds())) {
      while (!pool.awaitTermination(PROGRESS_TICK.toMillis(), TimeUnit.MILLISECONDS)) {
        bar.stepTo(Math.min(Duration.ofNanos(System.nanoTime() - start).toSeconds(), bar.getMax()));
      }
      bar.stepTo(bar.getMax());
    }
    Map<ApiOperation, List<ApiSamples>> parts = new EnumMap<>(ApiOperation.class);
    for (Future<Map<ApiOperation, ApiSamples.Recorder>> loop : loops) {
      try {
        loop.get().forEach((op, r) -> parts.computeIfAbsent(op, o -> new ArrayList<>()).add(r.samples()));
      } catch (ExecutionException e) {
        throw new IllegalStateException("a connection's loop failed: " + e.getCause(), e.getCause());
      }
    }
    Map<ApiOperation, ApiSamples> samples = new EnumMap<>(ApiOperation.class);
    parts.forEach((op, list) -> samples.put(op, ApiSamples.merge(list)));
    return new Phase(samples, measure);
  }

  private void logFirst(ApiOperation op, String code, String answer) {
    if (loggedErrors.putIfAbsent(op.wire() + "/" + code, Boolean.TRUE) == null) {
      Progress.log("first %s error of %s: %s", code, op.wire(),
          answer.length() > LOGGED_ANSWER_CHARS ? answer.substring(0, LOGGED_ANSWER_CHARS) + "..." : answer);
    }
  }

  /** One connection and what it holds between requests; used by one thread at a time (a phase's loop). */
  private final class Connection {
    private final int index;
    private final ApiClient client;
    private long pageTurn;
    private long booked;
    /** The booking this connection made and has not cancelled yet (null: none). */
    private String live;
    /** The last booking this connection made (null: none yet). */
    private String last;

    Connection(int index, ApiClient client) {
      this.index = index;
      this.client = client;
    }

    Map<ApiOperation, ApiSamples.Recorder> loop(List<ApiOperation> cycle, long measureFrom, long until)
        throws InterruptedException {
      Map<ApiOperation, ApiSamples.Recorder> measured = new EnumMap<>(ApiOperation.class);
      for (int i = 0; ; i++) {
        long now = System.nanoTime();
        if (now - until >= 0) return measured;
        ApiOperation op = cycle.get(i % cycle.size());
        step(op, now - measureFrom >= 0 ? measured.computeIfAbsent(op, o -> new ApiSamples.Recorder()) : null);
      }
    }

    /** One request of {@code op}; recorded in {@code r} unless null (warm-up). */
    private void step(ApiOperation op, ApiSamples.Recorder r) throws InterruptedException {
      Optional<ObjectNode> variables = variables(op);
      if (variables.isEmpty()) {
        if (r != null) r.skip();
        return;
      }
      byte[] body = ApiClient.body(op.document(), variables.get());
      long t0 = System.nanoTime();
      ApiClient.Reply reply;
      try {
        reply = client.post(body);
      } catch (IOException e) {
        String code = "IO_" + e.getClass().getSimpleName();
        logFirst(op, code, String.valueOf(e.getMessage()));
        if (r != null) r.error(System.nanoTime() - t0, code);
        if (op == ApiOperation.CANCEL_BOOKING) live = null;
        return;
      }
      JsonNode answer = reply.json();
      Optional<String> error = op.error(reply.status(), answer);
      switch (op) {
        case BOOK_SEGMENT -> {
          if (error.isEmpty()) {
            live = op.bookingId(answer).orElseThrow();
            last = live;
          }
        }
        case CANCEL_BOOKING -> live = null;
        case SEGMENTS_PAGE, BOOKING, ME -> { }
      }
      error.ifPresent(code -> logFirst(op, code, answer.toString()));
      if (r == null) return;
      if (error.isPresent()) {
        r.error(reply.nanos(), error.get());
      } else {
        r.ok(reply.nanos());
      }
    }

    /** The variables of this connection's next {@code op}; empty when it has nothing to do (no booking to read). */
    private Optional<ObjectNode> variables(ApiOperation op) {
      ObjectNode v = ApiClient.variables();
      return switch (op) {
        case SEGMENTS_PAGE -> {
          String cursor = plan.pageCursors().get((int) ((index + pageTurn++) % plan.pageCursors().size()));
          yield Optional.of(v.put("first", plan.pageSize()).put("after", cursor));
        }
        case BOOKING -> last == null ? Optional.empty() : Optional.of(v.put("id", last));
        case BOOK_SEGMENT -> {
          Pair p = pair(index, booked++, connections.size(), plan.segmentIds(), plan.firstSendDate());
          v.putObject("in").put("segmentId", p.segmentId()).put("campaign", plan.campaign())
              .put("sendDate", p.sendDate().toString());
          yield Optional.of(v);
        }
        case CANCEL_BOOKING -> live == null ? Optional.empty() : Optional.of(v.put("id", live));
        case ME -> Optional.of(v);
      };
    }
  }
}
