package audience.store;

import audience.contract.AuState;
import audience.contract.Intent;
import audience.contract.MemberProfile;
import audience.contract.PropertyType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MemberItemSizeTest {
  @Test
  void utf8LengthMatchesTheEncoder() {
    for (String s : List.of("", "Bondi", "Café", "€€€", "\uD83C\uDFE0 house", "a\u07FFb\u0800c")) {
      assertThat(MemberStore.utf8Bytes(s)).as(s).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void multiByteTextCountsAsDynamoDbCountsIt() {
    // 150,000 euro signs: 150,000 chars but 450,000 bytes, more than an item may hold
    String suburb = "€".repeat(150_000);
    MemberProfile p = new MemberProfile("m-size1", "a@example.com", true, suburb, "2026", AuState.NSW, Intent.BUY,
        PropertyType.HOUSE, 3, 1, 2, Instant.EPOCH, List.of());
    assertThat(MemberStore.estimatedItemBytes(p, "k.json")).isGreaterThan(MemberStore.MAX_ITEM_BYTES);
  }
}
