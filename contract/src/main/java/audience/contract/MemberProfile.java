package audience.contract;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One member snapshot as defined by data contract v1. Instances produced by {@link ContractParser}
 * satisfy every rule of the contract; the constructor only checks for nulls and copies the activity
 * list into an immutable list.
 *
 * <p>{@code priceMin}/{@code priceMax} are a weekly rent when {@code intent} is {@link Intent#RENT}.
 */
public record MemberProfile(
    String memberId,
    String email,
    boolean optIn,
    String suburb,
    String postcode,
    AuState state,
    Intent intent,
    PropertyType propertyType,
    int bedrooms,
    long priceMin,
    long priceMax,
    Instant lastActive,
    List<Activity> activity) {

  public MemberProfile {
    Objects.requireNonNull(memberId, "memberId");
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(suburb, "suburb");
    Objects.requireNonNull(postcode, "postcode");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(intent, "intent");
    Objects.requireNonNull(propertyType, "propertyType");
    Objects.requireNonNull(lastActive, "lastActive");
    activity = activity == null ? List.of() : List.copyOf(activity);
  }
}
