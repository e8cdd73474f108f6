package audience.service;

import audience.auth.TokenVerifier;
import audience.http.BookingsRoutes;
import audience.http.MembersRoutes;
import audience.http.OperatorAuth;
import audience.http.OpsRoutes;
import audience.http.SegmentsRoutes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Every {@code /ops} route of a node, in one place: {@code GET /ops/health} open (a load balancer's probe carries no
 * token), everything else under {@code /ops/} behind {@link OperatorAuth} (an operator's bearer token, verified as
 * the profile says: HS256 with the local key, RS256 against the JWKS URL on aws).
 */
public final class OpsEndpoints {
  private OpsEndpoints() {}

  public static Route of(AudienceNode node) {
    OpsRoutes ingestions = new OpsRoutes(node.wiring().ingestion(), node.dependencies().quarantine());
    MembersRoutes members = new MembersRoutes(node.dependencies().members());
    SegmentsRoutes segments = new SegmentsRoutes(node.wiring().segments());
    BookingsRoutes bookings = new BookingsRoutes(node.wiring().bookings());
    OperatorAuth auth = new OperatorAuth(TokenVerifier.of(node.settings().api().jwt(), node.settings().profile()));
    return ingestions.health().orElse(auth.operatorOnly(caller -> ingestions.routes()
        .orElse(members.routes())
        .orElse(segments.routes())
        .orElse(bookings.routes(caller))));
  }
}
