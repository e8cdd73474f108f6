package audience.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import audience.devstack.DevStack.Service;
import audience.devstack.FaultDialect.Reply;
import audience.devstack.HttpWire.Head;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FaultDialectTest {
  private static Head request(String startLine, String... headers) {
    return new Head(startLine, List.of(headers));
  }

  @ParameterizedTest(name = "{0} {1} is {2}")
  @CsvSource(delimiter = '|', textBlock = """
      GET / HTTP/1.1                                     |                              | ListBuckets
      GET /bucket?list-type=2&prefix=a%2F HTTP/1.1       |                              | ListObjectsV2
      GET /bucket/ HTTP/1.1                              |                              | ListObjects
      PUT /bucket HTTP/1.1                               |                              | CreateBucket
      HEAD /bucket HTTP/1.1                              |                              | HeadBucket
      GET /bucket/a/b.json HTTP/1.1                      |                              | GetObject
      HEAD /bucket/a/b.json HTTP/1.1                     |                              | HeadObject
      PUT /bucket/a/b.json HTTP/1.1                      |                              | PutObject
      PUT /bucket/a/b.json HTTP/1.1                      | x-amz-copy-source: /bucket/c | CopyObject
      POST /bucket/big?uploads HTTP/1.1                  |                              | CreateMultipartUpload
      PUT /bucket/big?partNumber=1&uploadId=u1 HTTP/1.1  |                              | UploadPart
      POST /bucket/big?uploadId=u1 HTTP/1.1              |                              | CompleteMultipartUpload
      DELETE /bucket/big?uploadId=u1 HTTP/1.1            |                              | AbortMultipartUpload
      DELETE /bucket/big HTTP/1.1                        |                              | DeleteObject
      POST /bucket?delete HTTP/1.1                       |                              | DeleteObjects
      """)
  void namesS3Operations(String startLine, String header, String operation) {
    Head request = header == null ? request(startLine) : request(startLine, header);
    assertThat(FaultDialect.of(Service.S3).operation(request, null)).isEqualTo(operation);
  }

  @Test
  void decodesThePathARuleMatches() {
    assertThat(request("GET /bucket/a%20b/c+d.json?x=1 HTTP/1.1").decodedPath()).isEqualTo("/bucket/a b/c+d.json");
  }

  @Test
  void namesJsonAndQueryOperations() {
    assertThat(FaultDialect.of(Service.DYNAMODB).operation(request("POST / HTTP/1.1",
        "X-Amz-Target: DynamoDB_20120810.BatchWriteItem"), null)).isEqualTo("BatchWriteItem");
    assertThat(FaultDialect.of(Service.SQS).operation(request("POST / HTTP/1.1",
        "x-amz-target: AmazonSQS.ReceiveMessage"), null)).isEqualTo("ReceiveMessage");
    assertThat(FaultDialect.of(Service.SNS).needsBody()).isTrue();
    assertThat(FaultDialect.of(Service.SNS).operation(request("POST / HTTP/1.1"),
        "Action=Publish&TopicArn=arn%3Aaws".getBytes(StandardCharsets.UTF_8))).isEqualTo("Publish");
  }

  @Test
  void dynamoThrottlingIsTheDocumentedShape() {
    FaultDialect d = FaultDialect.of(Service.DYNAMODB);
    Reply r = d.render(d.error("ProvisionedThroughputExceededException"), request("POST / HTTP/1.1",
        "Content-Type: application/x-amz-json-1.0"));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.headers()).containsEntry("Content-Type", "application/x-amz-json-1.0");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).startsWith(
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\",\"message\":\"");
  }

  @Test
  void sqsErrorsAreQueryCompatible() {
    FaultDialect d = FaultDialect.of(Service.SQS);
    Reply r = d.render(d.errors().get(0), request("POST / HTTP/1.1"));
    assertThat(r.headers()).containsEntry("x-amzn-query-error", "RequestThrottled;Sender");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("\"__type\":\"com.amazonaws.sqs#RequestThrottled\"");
  }

  @Test
  void kinesisAnswersCborToACborClient() {
    FaultDialect d = FaultDialect.of(Service.KINESIS);
    Reply r = d.render(d.errors().get(0), request("POST / HTTP/1.1", "Content-Type: application/x-amz-cbor-1.1"));
    assertThat(r.headers()).containsEntry("Content-Type", "application/x-amz-cbor-1.1");
    byte[] b = r.body();
    assertThat(b[0] & 0xff).as("a map of two").isEqualTo(0xa2);
    assertThat(b[1] & 0xff).as("a text string of 6 bytes").isEqualTo(0x66);
    assertThat(new String(b, 2, 6, StandardCharsets.UTF_8)).isEqualTo("__type");
  }

  @Test
  void s3AndSnsErrorsAreXml() {
    FaultDialect s3 = FaultDialect.of(Service.S3);
    Reply slowDown = s3.render(s3.error("SlowDown"), request("GET /b/k HTTP/1.1"));
    assertThat(slowDown.status()).isEqualTo(503);
    assertThat(new String(slowDown.body(), StandardCharsets.UTF_8)).contains("<Error><Code>SlowDown</Code>");
    assertThat(new String(slowDown.bytes(true), StandardCharsets.ISO_8859_1)).endsWith("\r\n\r\n")
        .contains("Content-Length: " + slowDown.body().length);
    FaultDialect sns = FaultDialect.of(Service.SNS);
    assertThat(new String(sns.render(sns.errors().get(0), request("POST / HTTP/1.1")).body(), StandardCharsets.UTF_8))
        .contains("<ErrorResponse", "<Type>Sender</Type><Code>Throttling</Code>");
  }
}
