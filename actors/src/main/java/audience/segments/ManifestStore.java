package audience.segments;

import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The manifests in the segments bucket: {@code manifest/<generation>.json} and {@code manifest/latest.json}, a copy
 * of the newest generation's manifest. {@link #publish} writes the generation's manifest first and replaces latest
 * only afterwards, and only when the generation it replaces comes from a run completed no later than this one's.
 */
public record ManifestStore(S3AsyncClient s3, String bucket) {
  private static final String JSON = "application/json";

  /** Whether {@link #publish} made the manifest latest, and which generation was latest before (empty for none). */
  public record Latest(boolean replaced, String previous) {}

  public CompletableFuture<Latest> publish(Manifest manifest) {
    byte[] bytes = manifest.toJson();
    return put(Manifest.key(manifest.generationId()), bytes).thenCompose(v -> latest()).thenCompose(current -> {
      String previous = current.map(Manifest::generationId).orElse("");
      boolean newer = current.isEmpty() || current.get().generationId().equals(manifest.generationId())
          || current.get().sourceCompletedAt() == null
          || !current.get().sourceCompletedAt().isAfter(manifest.sourceCompletedAt());
      if (!newer) return CompletableFuture.completedFuture(new Latest(false, previous));
      return put(Manifest.LATEST_KEY, bytes).thenApply(x -> new Latest(true, previous));
    });
  }

  /** The latest manifest, if any. */
  public CompletableFuture<Optional<Manifest>> latest() {
    return get(Manifest.LATEST_KEY);
  }

  /** The manifest of {@code generationId}, if written. */
  public CompletableFuture<Optional<Manifest>> of(String generationId) {
    return get(Manifest.key(generationId));
  }

  private CompletableFuture<Void> put(String key, byte[] bytes) {
    return s3.putObject(b -> b.bucket(bucket).key(key).contentType(JSON), AsyncRequestBody.fromBytes(bytes))
        .thenApply(r -> null);
  }

  private CompletableFuture<Optional<Manifest>> get(String key) {
    return s3.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes())
        .thenApply(r -> Optional.of(Manifest.fromJson(r.asByteArrayUnsafe())))
        .exceptionally(e -> {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof NoSuchKeyException) return Optional.empty();
          throw e instanceof CompletionException ce ? ce : new CompletionException(e);
        });
  }
}
