package audience.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ./audience members forget MEMBER_ID}: erasure, through {@code DELETE /ops/members/{id}}. */
@Command(name = "members", mixinStandardHelpOptions = true, description = "Operate on members: forget (erasure).",
    subcommands = MembersCommand.Forget.class)
final class MembersCommand {
  @Command(name = "forget", mixinStandardHelpOptions = true,
      description = "Delete a member and put them on the suppression list that every export respects.")
  static final class Forget extends OpsCommands.OpsCommand {
    @Parameters(index = "0", paramLabel = "MEMBER_ID", description = "The member id (m-...).") String memberId;

    @Override
    public Integer call() throws Exception {
      return print(client().delete("ops/members/" + memberId));
    }
  }
}
