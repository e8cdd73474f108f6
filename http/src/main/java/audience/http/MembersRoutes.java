package audience.http;

import audience.contract.ContractParser;
import audience.store.MemberStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Erasure of a member, for operators:
 * <pre>
 * DELETE /ops/members/{memberId}   the member's current item is deleted and the member put on the suppression list
 * </pre>
 * Answers {"memberId", "deleted" (whether a current item existed), "suppressed": true}; 400 for an id that is not a
 * member id of the data contract. Idempotent. Nothing personal is logged or answered: the id is pseudonymous.
 */
public final class MembersRoutes extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(MembersRoutes.class);
  private final MemberStore members;
  private final ObjectMapper json = JsonSupport.mapper();

  public MembersRoutes(MemberStore members) {
    this.members = members;
  }

  public Route routes() {
    return pathPrefix("ops", () -> pathPrefix("members", () -> path(PathMatchers.segment(), id -> delete(() -> {
      if (!ContractParser.isValidMemberId(id)) {
        return complete(JsonSupport.error(json, StatusCodes.BAD_REQUEST,
            "not a member id: expected m- and 4 to 32 of [0-9a-z]"));
      }
      return onComplete(members.forget(id), t -> {
        if (t.isFailure()) {
          log.error("forgetting member {} failed: {}", id, t.failed().get().toString());
          return complete(JsonSupport.error(json, StatusCodes.SERVICE_UNAVAILABLE,
              "the member store did not answer; nothing is lost, ask again"));
        }
        log.info("member {} forgotten (current item {})", id, t.get() ? "deleted" : "absent");
        return complete(JsonSupport.response(json, StatusCodes.OK,
            Map.of("memberId", id, "deleted", t.get(), "suppressed", true)));
      });
    }))));
  }
}
