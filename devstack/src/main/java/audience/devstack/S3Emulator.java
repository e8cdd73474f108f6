package audience.devstack;

import audience.devstack.DevStack.Service;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * S3: S3Proxy in the devstack JVM, over an in-memory store, or when persistent a filesystem store under
 * {@code home/data/s3}.
 */
final class S3Emulator extends Emulator {
  private static final Logger log = LoggerFactory.getLogger(S3Emulator.class);
  private S3Proxy s3Proxy;

  S3Emulator(Layout layout) {
    super(Service.S3, layout);
  }

  @Override
  protected synchronized void launch(int port) throws Exception {
    BlobStore store = layout.persistent()
        ? new FilesystemNio2BlobStore(layout.dataDir(name()).toString())
        : new TransientNio2BlobStore();
    s3Proxy = S3Proxy.builder()
        .blobStore(store)
        .endpoint(endpoint())
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, DevStack.ACCESS_KEY, DevStack.SECRET_KEY)
        .build();
    s3Proxy.start();
  }

  @Override
  ReadinessProbe readiness() {
    return ReadinessProbe.get(name(), port(), IN_PROCESS_READY_TIMEOUT);
  }

  @Override
  synchronized void stop() {
    if (s3Proxy == null) {
      return;
    }
    try {
      s3Proxy.stop();
    } catch (Exception e) {
      log.warn("stopping S3Proxy (port {}) failed", port(), e);
    }
    s3Proxy = null;
  }
}
