package audience.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code ./audience} command line. Run {@code ./audience --help} for the list; each subcommand has its own
 * {@code --help}.
 */
@Command(name = "audience", mixinStandardHelpOptions = true, version = "audience-engine 0.1.0",
    description = "Audience Engine: ingest member profiles from S3 into DynamoDB, turn them into segments, book "
        + "them, and operate it all.",
    footer = {"",
        "Operator commands (ingest, status, pause, resume, cancel, quarantine, redrive, segments, bookings, book, "
            + "members) are thin clients of the service's /ops routes, which need an operator's bearer token: "
            + "--token, else the AUDIENCE_TOKEN variable, else one the CLI mints itself with the local profile's key "
            + "(audience.api.jwt.local-secret, AUDIENCE_API_JWT_SECRET) for cli:<user>. On the aws profile set "
            + "AUDIENCE_TOKEN to a token of your identity provider. --json gives machine output; waits show a "
            + "progress bar on a terminal. 'audience COMMAND --help' for a command's options."},
    subcommands = {
        UpCommand.class, DemoCommand.class, ServeCommand.class, DevstackCommand.class, GenerateCommand.class,
        OpsCommands.Ingest.class, OpsCommands.Status.class, OpsCommands.Pause.class, OpsCommands.Resume.class,
        OpsCommands.Cancel.class, OpsCommands.Quarantine.class, OpsCommands.Redrive.class, MembersCommand.class,
        SegmentsCommand.class, BookingsCommand.class, BookingsCommand.Book.class, TokenCommand.class,
        BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {
  public static void main(String[] args) {
    int code = new CommandLine(new Main())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("error: " + e.getMessage());
          return 2;
        })
        .execute(args);
    System.exit(code);
  }
}
