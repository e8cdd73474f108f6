package audience.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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
  @Option(names = "--json", description = "The service's answer as JSON.") boolean asJson;

  @Override
  public Integer call() throws Exception {
    List<String> query = new ArrayList<>();
    if (status != null) query.add("status=" + URLEncoder.encode(status, StandardCharsets.UTF_8));
    if (segment != null) query.add("segment=" + URLEncoder.encode(segment, StandardCharsets.UTF_8));
    OpsClient.Reply reply = new OpsClient(url).get("ops/bookings" + (query.isEmpty() ? "" : "?"
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
    @Parameters(index = "0", paramLabel = "BOOKING") String bookingId;

    @Override
    public Integer call() throws Exception {
      return print(new OpsClient(url).get("ops/bookings/" + bookingId));
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel a booking (only before its upload starts).")
  static final class Cancel extends OpsCommands.OpsCommand {
    @Parameters(index = "0", paramLabel = "BOOKING") String bookingId;

    @Override
    public Integer call() throws Exception {
      return print(new OpsClient(url).post("ops/bookings/" + bookingId + "/cancel", ""));
    }
  }

  @Command(name = "run-creator", mixinStandardHelpOptions = true,
      description = "Run the booking creator now: every requested booking writes its audience and is uploaded.")
  static final class RunCreator extends OpsCommands.OpsCommand {
    @Override
    public Integer call() throws Exception {
      return print(new OpsClient(url).post("ops/bookings/run-creator", ""));
    }
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
    @Option(names = "--by", defaultValue = "operator", description = "Who books (default: ${DEFAULT-VALUE}).")
    String by;

    @Override
    public Integer call() throws Exception {
      String body = json.createObjectNode().put("segmentId", segmentId).put("campaign", campaign)
          .put("sendDate", sendDate).put("requestedBy", by).toString();
      return print(new OpsClient(url).post("ops/bookings", body));
    }
  }
}
