package audience.devstack;

import audience.devstack.EdmSandboxFault.Call;
import audience.devstack.EdmSandboxState.Job;
import audience.devstack.EdmSandboxState.Profile;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The <b>EDM sandbox</b>: a stand-in for a third-party EDM platform, in the devstack JVM, that serves the import-job
 * contract of docs/edm-platform.md ({@code /v1/imports}) and keeps what it receives ({@link EdmSandboxState}) for
 * tests to read back through its control API ({@code /sandbox/...}, client: {@link EdmSandboxClient}). It is not a
 * real platform and sends no mail. It fails on purpose when told to ({@link EdmSandboxFault}): 429 with
 * {@code Retry-After}, 5xx, slow answers, dropped connections, jobs that end failed.
 *
 * <p>Jobs complete asynchronously: queued when created, processing after half the completion delay, complete (or
 * failed) after all of it. The API key is checked on every {@code /v1} call and never logged; nor is an email.
 */
final class EdmSandbox implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EdmSandbox.class);
  /** How long a job takes from queued to complete, unless changed through {@code /sandbox/settings}. */
  static final Duration DEFAULT_COMPLETION_DELAY = Duration.ofMillis(300);
  /** The contract's limits of one import job. */
  static final int MAX_PROFILES = 10_000;
  static final int MAX_BODY_BYTES = 5 * 1024 * 1024;
  static final String API_PATH = "/v1/imports";
  static final String CONTROL_PATH = "/sandbox";
  private static final String BEARER = "Bearer ";
  private static final String TAG_PARAM = "tag";
  private static final String SETTINGS_DELAY = "completionDelayMs";
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private static final int OK = 200;
  private static final int ACCEPTED = 202;
  private static final int NO_CONTENT = 204;
  private static final int BAD_REQUEST = 400;
  private static final int UNAUTHORIZED = 401;
  private static final int NOT_FOUND = 404;
  private static final int METHOD_NOT_ALLOWED = 405;
  private static final int PAYLOAD_TOO_LARGE = 413;
  private static final int TOO_MANY_REQUESTS = 429;
  /** {@code sendResponseHeaders}' length for a body of unknown length, and for none. */
  private static final int NO_BODY = -1;
  private static final int ANY_PORT = 0;
  private static final int DEFAULT_BACKLOG = 0;
  private static final int STOP_DELAY_SECONDS = 1;
  /** Exchanges served at once: a slow answer holds its thread, and tests may hold a few at a time. */
  private static final int HANDLER_THREADS = 8;
  private static final int COPY_BUFFER_BYTES = 64 * 1024;
  private static final int HALF = 2;

  private final HttpServer server;
  private final ExecutorService handlers;
  private final ScheduledExecutorService jobClock;
  private final byte[] apiKey;
  private final EdmSandboxState state = new EdmSandboxState();
  private final AtomicReference<Duration> completionDelay = new AtomicReference<>(DEFAULT_COMPLETION_DELAY);

  private EdmSandbox(HttpServer server, ExecutorService handlers, ScheduledExecutorService jobClock, String apiKey) {
    this.server = server;
    this.handlers = handlers;
    this.jobClock = jobClock;
    this.apiKey = (BEARER + apiKey).getBytes(StandardCharsets.UTF_8);
  }

  /** Serves the sandbox on a free port of 127.0.0.1, accepting {@code apiKey} only. */
  static EdmSandbox start(String apiKey) throws IOException {
    return start(apiKey, ANY_PORT);
  }

  /** The sandbox on {@code port} (0: any free one). */
  static EdmSandbox start(String apiKey, int port) throws IOException {
    if (apiKey == null || apiKey.isBlank()) {
      throw new IllegalArgumentException("the EDM sandbox needs an API key");
    }
    HttpServer server = HttpServer.create(
        new InetSocketAddress(InetAddress.getByName(Support.LOOPBACK), port), DEFAULT_BACKLOG);
    AtomicInteger n = new AtomicInteger();
    ExecutorService handlers = Executors.newFixedThreadPool(HANDLER_THREADS,
        r -> daemon(r, "edm-sandbox-" + n.incrementAndGet()));
    ScheduledExecutorService jobClock = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "edm-sandbox-jobs"));
    EdmSandbox sandbox = new EdmSandbox(server, handlers, jobClock, apiKey);
    server.createContext(API_PATH, sandbox::api);
    server.createContext(CONTROL_PATH, sandbox::control);
    server.setExecutor(handlers);
    server.start();
    log.info("EDM sandbox (a local stand-in, not a real EDM platform) on {}", sandbox.endpoint());
    return sandbox;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** The base URL: the API under {@code /v1}, the control API under {@code /sandbox}. */
  URI endpoint() {
    return URI.create("http://" + Support.LOOPBACK + ":" + server.getAddress().getPort());
  }

  // ---------------------------------------------------------------- the platform's API

  private void api(HttpExchange exchange) throws IOException {
    try (exchange) {
      Optional<Call> call = route(exchange);
      if (call.isEmpty()) {
        answer(exchange, NOT_FOUND, error("no such call: " + exchange.getRequestMethod() + " "
            + exchange.getRequestURI().getPath() + " (POST /v1/imports, GET /v1/imports/{jobId}, GET /v1/imports?tag=T)"));
        return;
      }
      Optional<EdmSandboxFault> fault = state.take(call.get());
      boolean failJob = false;
      if (fault.isPresent()) {
        EdmSandboxFault f = fault.get();
        log.info("EDM sandbox: scripted {} on {}", f.kind(), call.get());
        switch (f.kind()) {
          case RATE_LIMITED -> {
            exchange.getResponseHeaders().set("Retry-After", Long.toString(f.retryAfterSeconds()));
            answer(exchange, TOO_MANY_REQUESTS, error("rate limited"));
            return;
          }
          case SERVER_ERROR -> {
            answer(exchange, f.status(), error("sandbox server error"));
            return;
          }
          case DROP -> {
            return; // closing an exchange that sent no headers closes its connection: no answer at all
          }
          case SLOW -> pause(Duration.ofMillis(f.delayMs()));
          case FAIL_JOB -> failJob = true;
        }
      }
      if (!authorized(exchange)) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        answer(exchange, UNAUTHORIZED, error("missing or wrong API key"));
        return;
      }
      switch (call.get()) {
        case CREATE -> create(exchange, failJob);
        case POLL -> {
          String jobId = decode(exchange.getRequestURI().getRawPath().substring(API_PATH.length() + 1));
          Optional<Job> job = state.job(jobId);
          if (job.isPresent()) {
            answer(exchange, OK, view(job.get()));
          } else {
            answer(exchange, NOT_FOUND, error("no such job"));
          }
        }
        case FIND -> {
          Optional<Job> job = query(exchange.getRequestURI(), TAG_PARAM).flatMap(state::byTag);
          if (job.isPresent()) {
            answer(exchange, OK, view(job.get()));
          } else {
            answer(exchange, NOT_FOUND, error("no job with that tag"));
          }
        }
        case ANY -> throw new IllegalStateException("no call is routed as ANY");
      }
    }
  }

  /** Which API call a request is, if any: create, poll a job, or find by tag. */
  private static Optional<Call> route(HttpExchange exchange) {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    if (path.equals(API_PATH)) {
      if (method.equals("POST")) {
        return Optional.of(Call.CREATE);
      }
      if (method.equals("GET") && query(exchange.getRequestURI(), TAG_PARAM).isPresent()) {
        return Optional.of(Call.FIND);
      }
      return Optional.empty();
    }
    String rest = path.startsWith(API_PATH + "/") ? path.substring(API_PATH.length() + 1) : "";
    if (method.equals("GET") && !rest.isEmpty() && !rest.contains("/")) {
      return Optional.of(Call.POLL);
    }
    return Optional.empty();
  }

  private boolean authorized(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    return header != null && MessageDigest.isEqual(apiKey, header.getBytes(StandardCharsets.UTF_8));
  }

  private void create(HttpExchange exchange, boolean failJob) throws IOException {
    Optional<byte[]> body = readLimited(exchange.getRequestBody());
    if (body.isEmpty()) {
      answer(exchange, PAYLOAD_TOO_LARGE, error("a job takes at most " + MAX_BODY_BYTES + " bytes"));
      return;
    }
    ImportRequest request;
    try {
      request = ImportRequest.parse(body.get());
    } catch (IllegalArgumentException e) {
      answer(exchange, BAD_REQUEST, error(e.getMessage()));
      return;
    }
    if (request.profiles().size() > MAX_PROFILES) {
      answer(exchange, PAYLOAD_TOO_LARGE, error("a job takes at most " + MAX_PROFILES + " profiles, not "
          + request.profiles().size()));
      return;
    }
    Job job = state.create(request.tag(), request.profiles(), failJob);
    long delayMs = completionDelay.get().toMillis();
    jobClock.schedule(() -> state.start(job.jobId()), delayMs / HALF, TimeUnit.MILLISECONDS);
    jobClock.schedule(() -> state.finish(job.jobId()).ifPresent(EdmSandbox::logDone), delayMs, TimeUnit.MILLISECONDS);
    log.info("EDM sandbox: job {} (tag {}) queued: {} profiles, {} refused{}", job.jobId(), job.tag(),
        job.profiles(), job.errors().size(), failJob ? "; scripted to fail" : "");
    answer(exchange, ACCEPTED, JSON.createObjectNode().put("jobId", job.jobId()));
  }

  private static void logDone(Job job) {
    log.info("EDM sandbox: job {} (tag {}) {}: {} imported, {} rejected", job.jobId(), job.tag(),
        job.status().name().toLowerCase(Locale.ROOT), job.imported(), job.rejected());
  }

  /** The body, or empty when it is longer than {@link #MAX_BODY_BYTES} (read to its end all the same). */
  private static Optional<byte[]> readLimited(InputStream in) throws IOException {
    try (in) {
      ByteArrayOutputStream kept = new ByteArrayOutputStream();
      byte[] buf = new byte[COPY_BUFFER_BYTES];
      long total = 0;
      for (int r; (r = in.read(buf)) >= 0; ) {
        total += r;
        if (total <= MAX_BODY_BYTES) {
          kept.write(buf, 0, r);
        }
      }
      return total > MAX_BODY_BYTES ? Optional.empty() : Optional.of(kept.toByteArray());
    }
  }

  /** {@code POST /v1/imports}' body, checked for shape (rows are checked one by one later). */
  record ImportRequest(String tag, List<Profile> profiles) {
    static ImportRequest parse(byte[] body) {
      JsonNode root;
      try {
        root = JSON.readTree(body);
      } catch (IOException e) {
        throw new IllegalArgumentException("the body is not JSON");
      }
      if (root == null || !root.isObject()) {
        throw new IllegalArgumentException("the body must be a JSON object with tag and profiles");
      }
      JsonNode tag = root.get("tag");
      if (tag == null || !tag.isTextual() || tag.asText().isBlank()) {
        throw new IllegalArgumentException("tag is required (a non-empty string)");
      }
      JsonNode rows = root.get("profiles");
      if (rows == null || !rows.isArray() || rows.isEmpty()) {
        throw new IllegalArgumentException("profiles is required (a non-empty array)");
      }
      List<Profile> profiles = new ArrayList<>(rows.size());
      for (int i = 0; i < rows.size(); i++) {
        JsonNode row = rows.get(i);
        if (!row.isObject()) {
          throw new IllegalArgumentException("profiles[" + i + "] is not an object");
        }
        profiles.add(new Profile(text(row, "memberId"), text(row, "email"), text(row, "suburb"), text(row, "state")));
      }
      return new ImportRequest(tag.asText(), profiles);
    }

    private static String text(JsonNode row, String field) {
      JsonNode v = row.get(field);
      return v == null || v.isNull() ? null : v.asText();
    }
  }

  /** A job as {@code GET /v1/imports/{jobId}} answers it. */
  static ObjectNode view(Job job) {
    ObjectNode out = JSON.createObjectNode()
        .put("jobId", job.jobId())
        .put("tag", job.tag())
        .put("status", job.status().name().toLowerCase(Locale.ROOT))
        .put("imported", job.imported())
        .put("rejected", job.rejected());
    ArrayNode errors = out.putArray("errors");
    job.visibleErrors().forEach(e -> errors.addObject().put("memberId", e.memberId()).put("reason", e.reason()));
    return out;
  }

  // ---------------------------------------------------------------- the control API, for tests

  private void control(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getRawPath().substring(CONTROL_PATH.length());
      String method = exchange.getRequestMethod();
      try {
        controlCall(exchange, method, path);
      } catch (IllegalArgumentException e) {
        answer(exchange, BAD_REQUEST, error(e.getMessage()));
      }
    }
  }

  private void controlCall(HttpExchange exchange, String method, String path) throws IOException {
    if (path.equals("/members") && method.equals("GET")) {
      answer(exchange, OK, JSON.valueToTree(state.importCounts()));
    } else if (path.startsWith("/members/") && method.equals("GET")) {
      String memberId = decode(path.substring("/members/".length()));
      Optional<EdmSandboxState.Member> m = state.member(memberId);
      if (m.isEmpty()) {
        answer(exchange, NOT_FOUND, error("no such member"));
        return;
      }
      ObjectNode out = JSON.createObjectNode().put("memberId", memberId).put("imports", m.get().imports());
      out.set("profile", JSON.valueToTree(m.get().profile()));
      answer(exchange, OK, out);
    } else if (path.equals("/jobs") && method.equals("GET")) {
      ArrayNode jobs = JSON.createArrayNode();
      state.jobs().forEach(j -> jobs.add(view(j).put("profiles", j.profiles())));
      answer(exchange, OK, jobs);
    } else if (path.equals("/faults")) {
      switch (method) {
        case "GET" -> { }
        case "POST" -> state.script(parseFaults(exchange.getRequestBody()));
        case "DELETE" -> state.clearScript();
        default -> {
          answer(exchange, METHOD_NOT_ALLOWED, error("use GET, POST or DELETE"));
          return;
        }
      }
      answer(exchange, OK, JSON.createObjectNode().set("pending", JSON.valueToTree(state.pending())));
    } else if (path.equals("/calls") && method.equals("GET")) {
      ObjectNode out = JSON.createObjectNode();
      state.calls().forEach((call, n) -> out.put(call.name().toLowerCase(Locale.ROOT), n));
      answer(exchange, OK, out);
    } else if (path.equals("/settings")) {
      if (method.equals("POST")) {
        completionDelay.set(Duration.ofMillis(parseSettings(exchange.getRequestBody())));
      } else if (!method.equals("GET")) {
        answer(exchange, METHOD_NOT_ALLOWED, error("use GET or POST"));
        return;
      }
      answer(exchange, OK, settings());
    } else if (path.equals("/reset") && method.equals("POST")) {
      state.reset();
      completionDelay.set(DEFAULT_COMPLETION_DELAY);
      log.info("EDM sandbox: reset");
      answer(exchange, NO_CONTENT, null);
    } else {
      answer(exchange, NOT_FOUND, error("no such control call: " + method + " " + CONTROL_PATH + path));
    }
  }

  private ObjectNode settings() {
    return JSON.createObjectNode().put(SETTINGS_DELAY, completionDelay.get().toMillis());
  }

  /** A JSON list of {@link EdmSandboxFault}s; unknown fields or kinds are refused. */
  static List<EdmSandboxFault> parseFaults(InputStream in) throws IOException {
    try (in) {
      return JSON.readValue(in, new TypeReference<List<EdmSandboxFault>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("faults must be a JSON list of {kind, on, status, retryAfterSeconds, "
          + "delayMs}: " + e.getOriginalMessage());
    }
  }

  private static long parseSettings(InputStream in) throws IOException {
    try (in) {
      JsonNode v = JSON.readTree(in).get(SETTINGS_DELAY);
      if (v == null || !v.canConvertToLong() || v.asLong() < 0) {
        throw new IllegalArgumentException(SETTINGS_DELAY + " is required (milliseconds, not negative)");
      }
      return v.asLong();
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("settings must be JSON: " + e.getOriginalMessage());
    }
  }

  // ---------------------------------------------------------------- helpers

  static Optional<String> query(URI uri, String name) {
    String raw = uri.getRawQuery();
    if (raw == null) {
      return Optional.empty();
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && decode(pair.substring(0, eq)).equals(name)) {
        return Optional.of(decode(pair.substring(eq + 1)));
      }
    }
    return Optional.empty();
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis()); // the scripted slowness itself, not a wait for anything
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ObjectNode error(String message) {
    return JSON.createObjectNode().put("error", message);
  }

  private static void answer(HttpExchange exchange, int status, JsonNode body) throws IOException {
    if (body == null) {
      exchange.sendResponseHeaders(status, NO_BODY);
      return;
    }
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The sandbox's state: for unit tests in this package. */
  EdmSandboxState state() {
    return state;
  }

  @Override
  public void close() {
    server.stop(STOP_DELAY_SECONDS);
    handlers.shutdownNow();
    jobClock.shutdownNow();
    log.info("EDM sandbox stopped; {} jobs, {} members held", state.jobs().size(), state.importCounts().size());
  }

  @Override
  public String toString() {
    return "EdmSandbox[" + endpoint() + "]"; // never the API key
  }
}
