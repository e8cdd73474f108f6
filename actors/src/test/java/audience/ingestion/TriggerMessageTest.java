package audience.ingestion;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TriggerMessageTest {
  private final ObjectMapper json = new ObjectMapper();

  private TriggerMessage.Parsed parse(String body, String messageId) {
    return TriggerMessage.parse(json, body, messageId, "sns");
  }

  @Test
  void theSameUploadAlwaysNamesTheSameRunWhateverTheMessageId() {
    var a = (TriggerMessage.Run) parse("{\"bucket\":\"b\",\"prefix\":\"p/\",\"uploadId\":\"u1\",\"expectedFiles\":3}", "m1");
    var b = (TriggerMessage.Run) parse("{\"bucket\":\"b\",\"prefix\":\"p/\",\"uploadId\":\"u1\",\"expectedFiles\":3}", "m2");
    assertThat(a.spec()).isEqualTo(b.spec());
    assertThat(a.spec().expectedFiles()).isEqualTo(3);
    var other = (TriggerMessage.Run) parse("{\"bucket\":\"b\",\"prefix\":\"p/\",\"uploadId\":\"u2\"}", "m1");
    assertThat(other.spec().runId()).isNotEqualTo(a.spec().runId());
    assertThat(other.spec().expectedFiles()).isEqualTo(RunSpec.UNKNOWN);
  }

  @Test
  void withoutAnUploadIdTheMessageIdNamesTheRun() {
    var a = (TriggerMessage.Run) parse("{\"bucket\":\"b\"}", "m1");
    var again = (TriggerMessage.Run) parse("{\"bucket\":\"b\"}", "m1");
    var b = (TriggerMessage.Run) parse("{\"bucket\":\"b\"}", "m2");
    assertThat(a.spec().runId()).isEqualTo(again.spec().runId()).isNotEqualTo(b.spec().runId());
    assertThat(a.spec().prefix()).isEmpty();
  }

  @Test
  void anSnsEnvelopeIsUnwrappedAndItsMessageIdUsed() {
    String inner = "{\\\"bucket\\\":\\\"b\\\",\\\"prefix\\\":\\\"x/\\\"}";
    var run = (TriggerMessage.Run) parse("{\"Type\":\"Notification\",\"MessageId\":\"sns-1\",\"Message\":\"" + inner + "\"}", "sqs-9");
    assertThat(run.spec().prefix()).isEqualTo("x/");
    assertThat(run.spec().runId()).isEqualTo(RunIds.forUpload("b", "x/", "sns-1"));
  }

  @Test
  void badMessagesAreRefusedWithTheReason() {
    assertThat(((TriggerMessage.Refused) parse("not json", "m")).reason()).startsWith("not JSON");
    assertThat(((TriggerMessage.Refused) parse("[1]", "m")).reason()).isEqualTo("not a JSON object");
    assertThat(((TriggerMessage.Refused) parse("{\"prefix\":\"p\"}", "m")).reason()).contains("bucket is required");
    assertThat(((TriggerMessage.Refused) parse("{\"bucket\":\"b\",\"expectedFiles\":-1}", "m")).reason())
        .contains("expectedFiles must be a non-negative integer");
    assertThat(((TriggerMessage.Refused) parse("{\"bucket\":\"b\",\"expectedFiles\":\"ten\"}", "m")).reason())
        .contains("expectedFiles");
    assertThat(((TriggerMessage.Refused) parse("{\"bucket\":\"b\",\"prefix\":7}", "m")).reason())
        .isEqualTo("prefix must be a string");
  }

  @Test
  void aRawRedeliveryWithoutUploadIdNamesTheSameRunByItsContent() {
    var first = (TriggerMessage.Run) parse("{\"bucket\":\"b\",\"prefix\":\"p/\",\"expectedFiles\":3}", null);
    var again = (TriggerMessage.Run) parse("{\"prefix\":\"p/\",\"expectedFiles\":3,\"bucket\":\"b\"}", null);
    var other = (TriggerMessage.Run) parse("{\"bucket\":\"b\",\"prefix\":\"p/\",\"expectedFiles\":4}", null);
    var otherPrefix = (TriggerMessage.Run) parse("{\"bucket\":\"b\",\"prefix\":\"q/\",\"expectedFiles\":3}", null);
    assertThat(again.spec().runId()).isEqualTo(first.spec().runId());
    assertThat(other.spec().runId()).isNotEqualTo(first.spec().runId());
    assertThat(otherPrefix.spec().runId()).isNotEqualTo(first.spec().runId());
  }
}
