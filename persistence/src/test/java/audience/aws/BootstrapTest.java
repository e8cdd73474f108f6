package audience.aws;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;

import static org.assertj.core.api.Assertions.assertThat;

class BootstrapTest {
  private static final String BUCKET = "audience-raw";

  @Test
  void aBucketOutsideUsEast1NamesItsRegionAndOneInUsEast1DoesNot() {
    CreateBucketRequest sydney = Bootstrap.createBucketRequest(BUCKET, Region.AP_SOUTHEAST_2);
    assertThat(sydney.bucket()).isEqualTo(BUCKET);
    assertThat(sydney.createBucketConfiguration().locationConstraintAsString())
        .isEqualTo(Region.AP_SOUTHEAST_2.id());

    CreateBucketRequest virginia = Bootstrap.createBucketRequest(BUCKET, Region.US_EAST_1);
    assertThat(virginia.bucket()).isEqualTo(BUCKET);
    assertThat(virginia.createBucketConfiguration()).isNull();
  }
}
