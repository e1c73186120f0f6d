package io.mqttgrid.access;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The declarative namespace file ({@code namespace.file}): applied at start, and again whenever its
 * content changes. YAML or JSON (JSON is YAML). A file with an error changes nothing: the model
 * stays as it was and the error is logged with the field it concerns.
 */
public final class NamespaceFile {

  private static final Logger LOG = LoggerFactory.getLogger(NamespaceFile.class);

  private final Vertx vertx;
  private final Path path;
  private final NamespaceStore store;
  private byte[] lastApplied;
  private long timer = -1;

  public NamespaceFile(Vertx vertx, Path path, NamespaceStore store) {
    this.vertx = vertx;
    this.path = path;
    this.store = store;
  }

  /**
   * Applies the file once; fails (and the broker does not start) when it cannot be read or is
   * invalid.
   */
  public Future<Void> applyAtStart(long watchIntervalMillis) {
    return vertx
        .executeBlocking(() -> Files.readAllBytes(path))
        .recover(
            e ->
                Future.failedFuture(
                    new IllegalArgumentException(
                        "namespace.file " + path + " cannot be read: " + e.getMessage())))
        .compose(
            bytes ->
                apply(bytes)
                    .recover(
                        e ->
                            Future.failedFuture(
                                new IllegalArgumentException(
                                    "namespace.file " + path + ": " + e.getMessage()))))
        .onSuccess(v -> timer = vertx.setPeriodic(watchIntervalMillis, t -> checkForChange()));
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void checkForChange() {
    vertx
        .executeBlocking(() -> Files.readAllBytes(path))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                LOG.warn(
                    "namespace.file {} cannot be read, keeping the current model: {}",
                    path,
                    ar.cause().toString());
                return;
              }
              if (Arrays.equals(ar.result(), lastApplied)) {
                return;
              }
              byte[] bytes = ar.result();
              apply(bytes)
                  .onSuccess(v -> LOG.info("namespace.file {} changed and was applied", path))
                  .onFailure(
                      e -> {
                        // remembered, so the same broken content is reported once, not every
                        // interval
                        lastApplied = bytes;
                        LOG.warn(
                            "namespace.file {} changed but was not applied: {}",
                            path,
                            e.getMessage());
                      });
            });
  }

  private Future<Void> apply(byte[] bytes) {
    JsonObject document;
    try {
      document = parse(new String(bytes, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return store.applyDocument(document).onSuccess(v -> lastApplied = bytes);
  }

  /** A YAML or JSON namespace document as JSON. */
  @SuppressWarnings("unchecked")
  public static JsonObject parse(String text) {
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (RuntimeException e) {
      throw new ModelValidationException(
          "(file)", "not valid YAML or JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null) {
      return new JsonObject();
    }
    if (!(root instanceof Map)) {
      throw new ModelValidationException("(file)", "the top level must be a mapping of sections");
    }
    // YAML dates and other non-JSON scalars would not survive JSON: round-trip through text to be
    // sure
    return new JsonObject(new JsonObject((Map<String, Object>) root).encode());
  }
}
