package audience.bookings;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The audience file's records: RFC 4180 quoting, CRLF, UTF-8, the documented column order. */
class AudienceCsvTest {
  private static AudienceMember member(String id, String email, String suburb) {
    return new AudienceMember(id, email, suburb, "NSW", "2026", "buy", "house", 3,
        Instant.parse("2025-06-29T12:30:00.123Z"), 500_000, 600_000);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void theHeaderNamesTheDocumentedColumnsInOrder() {
    assertThat(text(AudienceCsv.header()))
        .isEqualTo("memberId,email,suburb,state,postcode,intent,propertyType,bedrooms,lastActive\r\n");
  }

  @Test
  void aPlainRecordIsWrittenAsItIsWithLastActiveInIsoUtc() {
    assertThat(text(AudienceCsv.row(member("m-1", "a@example.com", "Surry Hills"))))
        .isEqualTo("m-1,a@example.com,Surry Hills,NSW,2026,buy,house,3,2025-06-29T12:30:00.123Z\r\n");
  }

  @Test
  void commasQuotesAndLineBreaksAreQuotedAndInnerQuotesDoubled() {
    assertThat(text(AudienceCsv.row(member("m,2", "\"odd\"@example.com", "Line\r\nBreak\nHere"))))
        .startsWith("\"m,2\",\"\"\"odd\"\"@example.com\",\"Line\r\nBreak\nHere\",NSW,");
    assertThat(text(AudienceCsv.record(java.util.List.of("a\"b", "", " spaced ", "x")))).isEqualTo(
        "\"a\"\"b\",, spaced ,x\r\n");
  }

  @Test
  void unicodeIsWrittenAsUtf8WithoutQuotingOrAByteOrderMark() {
    byte[] bytes = AudienceCsv.row(member("m-3", "zoë@例え.jp", "Bélair 🏠"));
    assertThat(text(bytes)).startsWith("m-3,zoë@例え.jp,Bélair 🏠,NSW,");
    assertThat(bytes[0]).isEqualTo((byte) 'm');
    assertThat(bytes.length).isGreaterThan(text(bytes).length()); // multi-byte characters
  }
}
