package audience.bookings;

import audience.segments.PriceBands;
import audience.segments.SegmentMetadata;
import audience.store.MemberStore.ScanFilter;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.Map;

/**
 * Which members are a segment's audience (docs/segments.md "Definition"), as one Scan filter and one client-side
 * check. The filter: that state, suburb exactly as spelled, intent and property type, {@code optIn} true, and
 * {@code lastActive} between the window's bounds, both included, in epoch milliseconds (the member store adds
 * {@code attribute_not_exists(forgottenAt)}: no tombstone). The check: the banding price
 * ({@link PriceBands#bandingPrice}) in {@code [priceLow, priceHigh)}, {@code priceHigh} null for the open band;
 * DynamoDB cannot compute a midpoint.
 */
public record AudienceQuery(ScanFilter filter, long priceLow, Long priceHigh) {
  private static final String EXPRESSION = "#st = :st AND #sub = :sub AND #int = :int AND #pt = :pt AND #opt = :yes"
      + " AND #la BETWEEN :from AND :to";

  /** The audience of the segment {@code segment} describes. */
  public static AudienceQuery of(SegmentMetadata segment) {
    Map<String, AttributeValue> values = Map.of(
        ":st", AttributeValue.fromS(segment.state()),
        ":sub", AttributeValue.fromS(segment.suburb()),
        ":int", AttributeValue.fromS(segment.intent()),
        ":pt", AttributeValue.fromS(segment.propertyType()),
        ":yes", AttributeValue.fromBool(true),
        ":from", AttributeValue.fromN(Long.toString(segment.windowFrom().toEpochMilli())),
        ":to", AttributeValue.fromN(Long.toString(segment.dataTime().toEpochMilli())));
    return new AudienceQuery(new ScanFilter(AudienceMember.PROJECTION, EXPRESSION, AudienceMember.NAMES, values),
        segment.priceLow(), segment.priceHigh());
  }

  /** Whether a member with these prices is in the segment's price band. */
  public boolean inBand(long priceMin, long priceMax) {
    long price = PriceBands.bandingPrice(priceMin, priceMax);
    return price >= priceLow && (priceHigh == null || price < priceHigh);
  }
}
