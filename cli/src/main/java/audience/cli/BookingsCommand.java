package audience.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./audience bookings [--status S] [--segment ID] [--json]}: bookings as a table, through
 * {@code GET /ops/bookings}; {@code bookings show|cancel ID}; {@code bookings run-creator}; and
 * {@code ./audience book SEGMENT --campaign NAME --send-date DATE} ({@link Book}).
 */
@Command(name = "bookings", mixinStandardHelpOptions = true,
    description = "List bookings (status, segment, campaign, send date, counts) as a table, or as JSON with --json.",
    subcommands = {BookingsCommand.Show.class, BookingsCommand.Cancel.class, BookingsCommand.RunCreator.class})
final class BookingsCommand extends OpsCommands.OpsCommand {
  private static final String ROW = "%-24s %-11s %-10s %8s %8s  %-20s %s%n";

  @Option(names = "--status", description = "Only bookings in this status (requested, generating, generated, "
      + "uploading, uploaded, notified, cancelled, failed).") String status;
  @Option(names = "--segment", description = "Only bookings of this segment.") String segment;

  @Override
  public Integer call() throws Exception {
    List<String> query = new ArrayList<>();
    if (status != null) query.add("status=" + URLEncoder.encode(status, StandardCharsets.UTF_8));
    if (segment != null) query.add("segment=" + URLEncoder.encode(segment, StandardCharsets.UTF_8));
    OpsClient.Reply reply = client().get("ops/bookings" + (query.isEmpty() ? "" : "?"
        + String.join("&", query)));
    if (asJson || !reply.ok()) return print(reply);
    System.out.printf(ROW, "BOOKING", "STATUS", "SEND DATE", "MEMBERS", "IMPORTED", "CAMPAIGN", "SEGMENT");
    for (JsonNode b : reply.body()) {
      System.out.printf(ROW, b.path("bookingId").asText(), b.path("status").asText(), b.path("sendDate").asText(),
          b.path("members").asLong(), b.path("imported").asLong(), b.path("campaign").asText(),
          b.path("segmentId").asText());
    }
    return 0;
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One booking's lifecycle, chunks and counts.")
  static final class Show extends OpsCommands.OpsCommand {
    @Parameters(index = "0", paramLabel = "BOOKING", description = "The booking id (b-...).") String bookingId;

    @Override
    public Integer call() throws Exception {
      return print(client().get("ops/bookings/" + bookingId));
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel a booking (only before its upload starts).")
  static final class Cancel extends OpsCommands.OpsCommand {
    @Parameters(index = "0", paramLabel = "BOOKING", description = "The booking id (b-...).") String bookingId;

    @Override
    public Integer call() throws Exception {
      return print(client().post("ops/bookings/" + bookingId + "/cancel", ""));
    }
  }

  @Command(name = "run-creator", mixinStandardHelpOptions = true,
      description = "Run the booking creator now: every requested booking writes its audience and is uploaded.")
  static final class RunCreator extends OpsCommands.OpsCommand {
    @Option(names = "--wait", description = "Follow the bookings it started with a progress bar until each is "
        + "notified, cancelled or failed, then print them.") boolean waitForIt;

    @Override
    public Integer call() throws Exception {
      OpsClient ops = client();
      List<String> started = new ArrayList<>();
      if (waitForIt) {
        OpsClient.Reply requested = ops.get("ops/bookings?status=" + REQUESTED);
        if (!requested.ok()) return print(requested);
        requested.body().forEach(b -> started.add(b.path("bookingId").asText()));
      }
      OpsClient.Reply run = ops.post("ops/bookings/run-creator", "");
      if (!waitForIt || !run.ok()) return print(run);
      return printJson(awaitBookings(ops, started, display()));
    }
  }

  private static final String REQUESTED = "requested";
  private static final Set<String> TERMINAL = Set.of("notified", "cancelled", "failed");

  /** Follows {@code bookingIds} until each is terminal; answers them as their entities last had them. */
  static ArrayNode awaitBookings(OpsClient ops, List<String> bookingIds, ProgressView.Display display)
      throws InterruptedException {
    Map<String, JsonNode> last = new LinkedHashMap<>();
    ProgressView.follow("bookings", display, () -> {
      long ended = 0;
      for (String id : bookingIds) {
        JsonNode seen = last.get(id);
        if (seen == null || !TERMINAL.contains(seen.path("status").asText())) {
          OpsClient.Reply r = ops.get("ops/bookings/" + id);
          if (!r.ok()) throw new IllegalStateException(r.error());
          last.put(id, r.body());
        }
        if (TERMINAL.contains(last.get(id).path("status").asText())) ended++;
      }
      return new ProgressView.Snapshot(ended, bookingIds.size(), ended + " of " + bookingIds.size() + " ended",
          ended == bookingIds.size());
    });
    ArrayNode out = new ObjectMapper().createArrayNode();
    last.values().forEach(out::add);
    return out;
  }

  /** {@code ./audience book SEGMENT --campaign NAME --send-date DATE}. */
  @Command(name = "book", mixinStandardHelpOptions = true,
      description = "Book a segment for a campaign on a send date (POST /ops/bookings).")
  static final class Book extends OpsCommands.OpsCommand {
    @Parameters(index = "0", paramLabel = "SEGMENT", description = "A segment id (./audience segments).")
    String segmentId;
    @Option(names = "--campaign", required = true, description = "The campaign's name.") String campaign;
    @Option(names = "--send-date", required = true, paramLabel = "YYYY-MM-DD", description = "When it is sent.")
    String sendDate;
    @Option(names = "--by", description = "Who books (default: the token's subject, cli:<user> for the CLI's own).")
    String by;

    @Override
    public Integer call() throws Exception {
      ObjectNode body = json.createObjectNode().put("segmentId", segmentId).put("campaign", campaign)
          .put("sendDate", sendDate);
      if (by != null) body.put("requestedBy", by);
      return print(client().post("ops/bookings", body.toString()));
    }
  }
}
