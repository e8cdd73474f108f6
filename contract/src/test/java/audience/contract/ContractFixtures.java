package audience.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;

/** Files and trees for the contract tests: one valid member and ways to spoil it. */
final class ContractFixtures {

  static final ObjectMapper JSON = new ObjectMapper();

  /** "Now" for the tests: the day after the valid member's lastActive. */
  static final Instant NOW = Instant.parse("2025-06-02T00:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final ContractLimits LIMITS = ContractLimits.defaults(CLOCK);

  private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private ContractFixtures() {}

  /** A valid member as a mutable map, in the contract's field order. */
  static Map<String, Object> validDoc() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("memberId", "m-abc123");
    m.put("email", "olivia.smith@example.com.au");
    m.put("optIn", true);
    m.put("suburb", "Surry Hills");
    m.put("postcode", "2010");
    m.put("state", "NSW");
    m.put("intent", "buy");
    m.put("propertyType", "apartment");
    m.put("bedrooms", 2);
    m.put("priceMin", 750000);
    m.put("priceMax", 900000);
    m.put("lastActive", "2025-06-01T10:15:30Z");
    List<Object> activity = new ArrayList<>();
    activity.add(new LinkedHashMap<>(Map.of(
        "type", "search", "listingId", "l-1", "at", "2025-05-30T08:00:00Z")));
    activity.add(new LinkedHashMap<>(Map.of(
        "type", "enquiry", "listingId", "l-2", "at", "2025-06-01T10:15:30.250Z")));
    m.put("activity", activity);
    return m;
  }

  static byte[] bytes(Map<String, Object> doc) {
    try {
      return JSON.writeValueAsBytes(doc);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The valid member's file after {@code change}. */
  static byte[] with(Consumer<Map<String, Object>> change) {
    Map<String, Object> doc = validDoc();
    change.accept(doc);
    return bytes(doc);
  }

  /** The valid member's tree after {@code change}. */
  static JsonNode tree(Consumer<Map<String, Object>> change) {
    Map<String, Object> doc = validDoc();
    change.accept(doc);
    return JSON.valueToTree(doc);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(plain);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }

  /** {@code body} after a UTF-8 byte order mark. */
  static byte[] withBom(byte[] body) {
    byte[] b = new byte[UTF8_BOM.length + body.length];
    System.arraycopy(UTF8_BOM, 0, b, 0, UTF8_BOM.length);
    System.arraycopy(body, 0, b, UTF8_BOM.length, body.length);
    return b;
  }
}
