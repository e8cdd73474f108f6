package audience.bench;

import audience.devstack.FaultCounts;
import audience.generator.DatasetGenerator;
import audience.generator.GroundTruth;
import audience.store.RunAudit;
import audience.store.RunPhase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The figures of one {@link IngestBenchmark} run, one record per phase, and the one place that turns them into
 * the result JSON: {@link #toJson()} names every field, in the order docs/benchmarks.md and the README quote.
 */
record IngestReport(IngestBenchmark.Options options, Dataset dataset, CeilingRates ceilings,
                    BaselineRates baselines, Ingest ingest, Audit audit) {
  /** The targets of the issue, as ratios of the service's files/s to the figures it is compared with. */
  static final double TARGET_VS_POOL = 1.2;
  static final double TARGET_VS_SEQUENTIAL = 10;
  static final double TARGET_VS_CEILING = 0.6;
  static final long TARGET_DONE_LATENCY_MS = 1000;
  static final long TARGET_PEAK_HEAP_MB = 512;
  static final double TARGET_CPU_VS_FLOOR = 1.5;
  /** CPU per file is printed in milliseconds to three decimals. */
  private static final int CPU_DECIMALS = 3;
  private static final double MS_PER_S = 1000.0;
  /** Keeps a ratio finite when the figure it divides by is 0 (a baseline or ceiling that did nothing). */
  private static final double MIN_DIVISOR = 1e-9;
  /** Rates are printed to one decimal; the ratio to the ceiling is small, so it gets two. */
  private static final int RATE_DECIMALS = 1;
  private static final int CEILING_RATIO_DECIMALS = 2;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The generated data set.
   *
   * @param generator names the keys the GET ceiling cycles over
   */
  record Dataset(DatasetGenerator generator, GroundTruth truth, long generateMs) {}

  /** What the emulators do at most (see {@link Ceilings}). */
  record CeilingRates(Ceilings.Rate s3Get, Ceilings.Rate ddbWrite, double parseCpuMsPerFile) {
    /** What a file unavoidably costs a client: one GET, one stored item, parsing and validating it. */
    double floorCpuMsPerFile() {
      return s3Get.cpuMsPerUnit() + ddbWrite.cpuMsPerUnit() + parseCpuMsPerFile;
    }

    /** The ceiling the service is held to: whichever of the two is lower bounds ingestion. */
    double lower() {
      return Math.min(s3Get.perSecond(), ddbWrite.perSecond());
    }
  }

  /** The naive ingesters the service is compared with (see {@link Baselines}). */
  record BaselineRates(Baselines.Result sequential, Baselines.Result pool) {}

  /** The SIGKILL and restart of the service half way, when asked for. */
  record Kill(long atSettled, long restartMs) {}

  /**
   * What following the run's status ended with.
   *
   * @param settled -1 when no status was ever read
   * @param completedAt null unless the status says the run completed
   */
  record Follow(String state, long settled, long ingested, long quarantined, Instant completedAt,
                Optional<Kill> kill) {
    /**
     * @param status the last status read, or null when none was; its counters then read as 0 and settled as -1
     */
    static Follow of(JsonNode status, String state, Instant completedAt, Optional<Kill> kill) {
      JsonNode s = status == null ? MissingNode.getInstance() : status;
      return new Follow(state, status == null ? -1 : s.path("settled").asLong(), s.path("ingested").asLong(),
          s.path("quarantined").asLong(), completedAt, kill);
    }

    boolean completed() {
      return state.equals(RunPhase.COMPLETED.wire());
    }
  }

  /** Timings from the done event; a field is null when an instant it needs is missing from the event. */
  record DoneTimes(Long latencyMs, Long persistLatencyMs, Long publishToReceiveMs, String warning) {
    static DoneTimes of(DoneWatcher.Received done, Instant completedAt) {
      Instant settled = done.instant("lastFileSettledAt");
      String warning = done.event().path("warning").asText("");
      return new DoneTimes(millisBetween(settled, done.receivedAt()), millisBetween(settled, completedAt),
          millisBetween(completedAt, done.receivedAt()), warning.isEmpty() || warning.equals("null") ? null : warning);
    }
  }

  /** Heap of the service JVM(s), from GET /ops/jvm; -1 when no sample succeeded. */
  record Heap(long peakMb, long afterGcMb, long xmxMb, long samples) {}

  /**
   * The service's run.
   *
   * @param ingestMs from the POST to the run's completedAt; null when the run did not complete
   * @param done empty when the done event did not arrive
   * @param processes CPU per process while the service ingested ({@link CpuMeter#report()})
   * @param faults what the fault proxy did from the service's start to the end of the run (the bench's own
   *     done-event receives included); empty without the proxy
   */
  record Ingest(long serviceStartMs, String runId, Follow follow, Long ingestMs, Optional<DoneTimes> done,
                Heap heap, Map<String, Object> processes, Optional<FaultCounts> faults) {}

  /** The stores read back, against what the generator says they should hold. */
  record Audit(long auditMs, RunAudit.Result result, GroundTruth truth) {
    boolean matchesTruth() {
      return result.listed() == truth.files() && result.ingested() == truth.expectedValidFiles()
          && result.quarantined() == truth.expectedQuarantined();
    }
  }

  /** Whether the run counts as passed (the exit code): completed, done event seen, nothing lost. */
  boolean ok() {
    return ingest.follow().completed() && ingest.done().isPresent() && audit.result().lost() == 0;
  }

  /** The service JVM's CPU per file while it ingested (from {@link CpuMeter}), null when not measured. */
  Double serviceCpuMsPerFile() {
    Object cpu = ingest.processes().get("cpu_s");
    if (!(cpu instanceof Map<?, ?> byRole) || !(byRole.get("service_jvm") instanceof Number seconds)) return null;
    return seconds.doubleValue() * MS_PER_S / Math.max(options.files(), 1);
  }

  /** The service's files/s as printed (rounded; the targets compare this figure); null when it did not complete. */
  Double filesPerSecond() {
    Long ms = ingest.ingestMs();
    return ms == null ? null : round(options.files() * 1000.0 / Math.max(ms, 1), RATE_DECIMALS);
  }

  /** The result: headline figures first, then the details, each field named here and nowhere else. */
  ObjectNode toJson() {
    RunAudit.Result read = audit.result();
    Follow follow = ingest.follow();
    Heap heap = ingest.heap();
    Baselines.Result seq = baselines.sequential();
    Baselines.Result pool = baselines.pool();
    Optional<DoneTimes> done = ingest.done();
    Double filesPerSecond = filesPerSecond();
    double rate = filesPerSecond == null ? 0 : filesPerSecond;

    ObjectNode out = JSON.createObjectNode();
    out.put("files", options.files()).put("bad_files", options.badFiles());
    if (options.killAt() != null) out.put("kill_at", options.killAt());
    out.put("faults", options.faults()).put("latency_ms", options.latencyMs());
    out.put("ingested", read.ingested()).put("quarantined", read.quarantined()).put("lost", read.lost())
        .put("files_per_s", filesPerSecond)
        .put("done_latency_ms", done.map(DoneTimes::latencyMs).orElse(null))
        .put("done_persist_latency_ms", done.map(DoneTimes::persistLatencyMs).orElse(null))
        .put("peak_heap_mb", heap.peakMb()).put("heap_after_gc_mb_max", heap.afterGcMb())
        .put("service_xmx_mb", heap.xmxMb())
        .put("baseline_sequential_files_per_s", round(seq.filesPerSecond(), RATE_DECIMALS))
        .put("baseline_pool_files_per_s", round(pool.filesPerSecond(), RATE_DECIMALS))
        .put("s3_get_ceiling_per_s", round(ceilings.s3Get().perSecond(), RATE_DECIMALS))
        .put("ddb_write_ceiling_items_per_s", round(ceilings.ddbWrite().perSecond(), RATE_DECIMALS))
        .put("service_cpu_ms_per_file", serviceCpuMsPerFile() == null ? null : round(serviceCpuMsPerFile(), CPU_DECIMALS))
        .put("floor_cpu_ms_per_file", round(ceilings.floorCpuMsPerFile(), CPU_DECIMALS))
        .put("floor_get_cpu_ms", round(ceilings.s3Get().cpuMsPerUnit(), CPU_DECIMALS))
        .put("floor_item_cpu_ms", round(ceilings.ddbWrite().cpuMsPerUnit(), CPU_DECIMALS))
        .put("floor_parse_cpu_ms", round(ceilings.parseCpuMsPerFile(), CPU_DECIMALS));
    follow.kill().ifPresent(k -> out.put("killed_at_settled", k.atSettled()).put("restart_ms", k.restartMs()));
    Long latency = done.map(DoneTimes::latencyMs).orElse(null);
    out.putObject("targets")
        .put("lost_zero", read.lost() == 0)
        .put("done_latency_under_1s", latency != null && latency < TARGET_DONE_LATENCY_MS)
        .put("vs_pool_1_2x", rate >= TARGET_VS_POOL * pool.filesPerSecond())
        .put("vs_sequential_10x", rate >= TARGET_VS_SEQUENTIAL * seq.filesPerSecond())
        .put("vs_ceiling_0_6x", rate >= TARGET_VS_CEILING * ceilings.lower())
        .put("peak_heap_under_512mb", heap.peakMb() >= 0 && heap.peakMb() < TARGET_PEAK_HEAP_MB)
        .put("cpu_within_1_5x_floor", serviceCpuMsPerFile() != null
            && serviceCpuMsPerFile() <= TARGET_CPU_VS_FLOOR * ceilings.floorCpuMsPerFile());
    out.put("ok", ok());

    out.put("generate_ms", dataset.generateMs()).put("service_start_ms", ingest.serviceStartMs())
        .put("run_id", ingest.runId()).put("state", follow.state()).put("ingest_ms", ingest.ingestMs());
    done.ifPresentOrElse(d -> {
      out.put("done_publish_to_receive_ms", d.publishToReceiveMs());
      if (d.warning() != null) out.put("warning", d.warning());
    }, () -> out.put("done_event", "not received"));
    out.put("status_settled", follow.settled()).put("status_ingested", follow.ingested())
        .put("status_quarantined", follow.quarantined()).put("jvm_samples", heap.samples());
    out.putPOJO("processes_during_ingest", ingest.processes());
    out.put("audit_ms", audit.auditMs()).put("listed", read.listed()).put("doubled", read.doubled());
    if (!read.lostSample().isEmpty()) out.putPOJO("lost_sample", read.lostSample());
    out.put("expected_ingested", audit.truth().expectedValidFiles())
        .put("expected_quarantined", audit.truth().expectedQuarantined())
        .put("matches_ground_truth", audit.matchesTruth())
        .put("baseline_sequential_files", seq.files())
        .put("baseline_sequential_failed", seq.failed())
        .put("baseline_pool_files", pool.files())
        .put("baseline_pool_failed", pool.failed())
        .put("baseline_pool_concurrency", pool.concurrency())
        .put("rate_vs_pool", round(ratio(rate, pool.filesPerSecond()), RATE_DECIMALS))
        .put("rate_vs_sequential", round(ratio(rate, seq.filesPerSecond()), RATE_DECIMALS))
        .put("rate_vs_ceiling", round(ratio(rate, ceilings.lower()), CEILING_RATIO_DECIMALS))
        .put("devstack_xmx_mb", options.devstackHeapMb());
    ingest.faults().ifPresent(counts -> {
      ObjectNode injected = out.putObject("faults_during_ingest");
      counts.services().forEach((service, c) -> {
        FaultCounts.RuleCounts rule = c.rule(IngestBenchmark.FAULT_RULE);
        injected.putObject(service).put("requests", c.requests()).put("errors", rule.errors())
            .put("resets", rule.resets());
      });
    });
    return out;
  }

  /** Milliseconds from one instant to the other; null when either is unknown. */
  static Long millisBetween(Instant from, Instant to) {
    return from == null || to == null ? null : Duration.between(from, to).toMillis();
  }

  private static double ratio(double rate, double of) {
    return rate / Math.max(of, MIN_DIVISOR);
  }

  private static double round(double v, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(v * scale) / scale;
  }
}
