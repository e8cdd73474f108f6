package audience.ingestion;

import audience.config.Settings;
import audience.store.RunPhase;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Events, snapshots and cluster messages survive Jackson CBOR (what the journal and remoting use). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SerializationTest {
  private static final RunSpec SPEC = new RunSpec("r-1", "bucket", "p/", 12, "ops");
  private static final Instant AT = Instant.parse("2026-11-26T10:15:30.123Z");
  private ActorTestKit testKit;
  private SerializationTestKit serialization;

  @BeforeAll
  void start() {
    testKit = ActorTestKit.create("serialization", Settings.load().config());
    serialization = new SerializationTestKit(testKit.system());
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  private void roundTrip(Object o) {
    assertThat(serialization.verifySerialization(o, true)).isEqualTo(o);
  }

  @Test
  void runEventsAndStateRoundTrip() {
    roundTrip(new IngestionRun.RunStarted(SPEC, AT));
    roundTrip(new IngestionRun.ChunksCommitted("p/k ü.json", 7, 700, 690, 10, AT));
    roundTrip(new IngestionRun.ListingFinished(9, 812, "p/z.json"));
    roundTrip(new IngestionRun.PhaseChanged(RunPhase.PAUSED, AT));
    roundTrip(new IngestionRun.State(SPEC, AT, RunPhase.RUNNING, new IngestionRun.Committed("p/k", 3, 300, 299, 1, AT, 1_700_000_000_000L),
        new IngestionRun.ListingEnd(true, 9, 812, "p/z.json"), new IngestionRun.Stall("chunk 3 failed 5 attempts", AT, true)));
    roundTrip(new IngestionRun.RunStalled("chunk 3 failed 5 attempts: DynamoDB 500", AT));
    roundTrip(new IngestionRun.StallReported("msg-2", AT));
  }

  @Test
  void trackerEventsAndSnapshotStateRoundTrip() {
    roundTrip(new CompletionTracker.ChunkRecorded(4, 100, 98, 2, AT));
    CompletionTracker.Counts totals = new CompletionTracker.Counts(9, 812, 800, 12, AT);
    roundTrip(new CompletionTracker.ListingClosed(SPEC, AT, 9, 812, totals));
    roundTrip(new CompletionTracker.Completed(AT, "expected 12 files, listed 812"));
    roundTrip(new CompletionTracker.Notified("msg-1", AT));
    CompletionTracker.State state = CompletionTracker.State.EMPTY;
    for (CompletionTracker.Event e : List.of(new CompletionTracker.ListingClosed(SPEC, AT, 9, 812, totals),
        new CompletionTracker.Completed(AT, ""))) {
      state = e.applyTo(state);
    }
    assertThat(state.counts()).isEqualTo(totals);
    roundTrip(state);
  }

  /** An event or snapshot as journalled before a field existed: the same CBOR mapper, without it. */
  private Object readOld(Class<?> type, java.util.Map<String, Object> fields) throws Exception {
    Serialization ser = SerializationExtension.get(testKit.system());
    var mapper = org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider.get(testKit.system())
        .getOrCreate("jackson-cbor", java.util.Optional.empty());
    Object sample = type == IngestionRun.ChunksCommitted.class ? new IngestionRun.ChunksCommitted("", 0, 0, 0, 0, null)
        : type == IngestionRun.ListingFinished.class ? new IngestionRun.ListingFinished(0, 0, null)
        : type == CompletionTracker.ListingClosed.class ? new CompletionTracker.ListingClosed(SPEC, AT, 0, 0, null)
        : CompletionTracker.State.EMPTY;
    Serializer serializer = ser.findSerializerFor(sample);
    return ser.deserialize(mapper.writeValueAsBytes(fields), serializer.identifier(),
        Serializers.manifestFor(serializer, sample)).get();
  }

  @Test
  void eventsAndSnapshotsJournalledBeforeTheWatermarkStillRead() throws Exception {
    assertThat(readOld(IngestionRun.ChunksCommitted.class, java.util.Map.of("offset", "p/k", "nextChunk", 7,
        "files", 700))).isEqualTo(new IngestionRun.ChunksCommitted("p/k", 7, 700, 0, 0, null));
    assertThat(readOld(IngestionRun.ListingFinished.class, java.util.Map.of("totalChunks", 9, "totalFiles", 812)))
        .isEqualTo(new IngestionRun.ListingFinished(9, 812, null));
    assertThat(readOld(CompletionTracker.ListingClosed.class, java.util.Map.of("spec", java.util.Map.of("runId", "r-1",
        "bucket", "bucket", "prefix", "p/", "expectedFiles", 12, "origin", "ops"), "startedAt", AT.toString(),
        "totalChunks", 9, "totalFiles", 812))).isEqualTo(new CompletionTracker.ListingClosed(SPEC, AT, 9, 812, null));
    java.util.Map<String, Object> counts = java.util.Map.of("settledChunks", 2, "settledFiles", 20, "ingested", 19,
        "quarantined", 1);
    Object state = readOld(CompletionTracker.State.class, java.util.Map.of("chunks", java.util.Map.of("watermark", 2,
        "above", List.of(4)), "counts", counts, "completion", java.util.Map.of("warning", "", "notified", false)));
    assertThat(((CompletionTracker.State) state).counts()).isEqualTo(new CompletionTracker.Counts(2, 20, 19, 1, null));
  }

  @Test
  void messagesAcrossNodesRoundTrip() {
    roundTrip(new FileWorker.ProcessChunk("r-1", "bucket", 3, 77L, 2, List.of(new FileRef("p/a.json", 512))));
    roundTrip(new IngestionRun.ChunkSettled(3, 77L, 2, 99, 1, AT));
    roundTrip(new IngestionRun.ChunkFailed(3, 77L, 2, "DynamoDB 500"));
    roundTrip(new IngestionRun.DoneRecorded());
    roundTrip(new CompletionTracker.Advance(new CompletionTracker.Counts(3, 100, 99, 1, AT)));
    roundTrip(new IngestionDone("r-1", "bucket", "p/", 812, 800, 12, "", AT, AT, AT));
    roundTrip(new IngestionDone("r-1", "bucket", "p/", 812, 800, 12, "", AT, AT, AT, AT.minusSeconds(60)));
    roundTrip(new IngestionRun.ChunkSettled(3, 77L, 2, 99, 1, AT, 1_700_000_000_000L));
  }

  @Test
  void aRedriveSpecRoundTripsAndASpecJournalledBeforeRedriveOfExistedReadsItAsNull() throws Exception {
    RunSpec redrive = new RunSpec("r-1-r1", "bucket", "p/", 3, "redrive", "r-1");
    roundTrip(new IngestionRun.RunStarted(redrive, AT));
    Serialization serialization = SerializationExtension.get(testKit.system());
    Serializer serializer = serialization.findSerializerFor(SPEC);
    // the spec as journalled before the field: the same CBOR mapper, without redriveOf
    var mapper = org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider.get(testKit.system())
        .getOrCreate("jackson-cbor", java.util.Optional.empty());
    byte[] old = mapper.writeValueAsBytes(java.util.Map.of("runId", "r-1", "bucket", "bucket", "prefix", "p/",
        "expectedFiles", 12, "origin", "ops"));
    Object read = serialization.deserialize(old, serializer.identifier(), Serializers.manifestFor(serializer, SPEC)).get();
    assertThat(read).isEqualTo(SPEC);
    assertThat(((RunSpec) read).redriveOf()).isNull();
  }

  @Test
  void eventsJournalledUnderTheRunEntitysOldClassNamesStillReplay() {
    Serialization serialization = SerializationExtension.get(testKit.system());
    List<IngestionRun.Event> events = List.of(new IngestionRun.RunStarted(SPEC, AT),
        new IngestionRun.ChunksCommitted("p/k", 7, 700, 690, 10, AT), new IngestionRun.ListingFinished(9, 812, "p/z"),
        new IngestionRun.PhaseChanged(RunPhase.COMPLETED, AT));
    for (IngestionRun.Event event : events) {
      Serializer serializer = serialization.findSerializerFor(event);
      byte[] bytes = serializer.toBinary(event);
      String manifest = Serializers.manifestFor(serializer, event);
      String oldManifest = LegacyEventNames.RENAMED.entrySet().stream()
          .filter(e -> e.getValue().equals(manifest)).map(java.util.Map.Entry::getKey).findFirst().orElseThrow();
      assertThat(serialization.deserialize(bytes, serializer.identifier(), oldManifest).get()).isEqualTo(event);
    }
    // the old event carried the phase in a field named control, spelled FINISHED for completed
    Serializer serializer = serialization.findSerializerFor(events.get(3));
    String oldJson = new String(serializer.toBinary(events.get(3)), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThat(oldJson).contains("control");
  }
}
