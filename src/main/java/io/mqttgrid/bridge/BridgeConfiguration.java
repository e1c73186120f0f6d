package io.mqttgrid.bridge;

import io.mqttgrid.access.NamespaceEntries;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the dataflows come from: the bridge file and the dataflow endpoints and dataflows of the
 * management API, composed into the {@link BridgeFile} that the {@link DataflowInstances} apply.
 *
 * <p>Every node watches the file (as the namespace file is watched) and applies a change: added
 * dataflows start, removed ones stop, changed ones restart; the bridge's local sessions that no
 * dataflow uses any more are ended and deleted. A file with a mistake changes nothing. A change of
 * the API's resources reaches every node through the store's change event; the node that took the
 * write applies it at once ({@link #applyOwnWrite}).
 *
 * <p>Parsing reads the files the endpoints name: it runs off the event loop, and what it makes is
 * applied on the bridges' context.
 */
final class BridgeConfiguration {

  /** The bridges' logger: operators know these lines by it, whichever class writes them. */
  private static final Logger LOG = LoggerFactory.getLogger(Bridges.class);

  private final Vertx vertx;
  private final Context context;

  /** The bridge file; null without one. */
  private final Path path;

  private final Path baseDir;

  /**
   * The dataflow endpoints and dataflows made through the management API, cluster-wide (key {@code
   * <kind>/<name>}, value the properties as JSON); null where there is no such store.
   */
  private final NamespaceEntries resources;

  private final DataflowInstances instances;

  /** The bridge file's document (maps and lists), as last applied; empty without a file. */
  private volatile Object fileRoot;

  /** The API's resources as last applied, sorted by key (the same order on every node). */
  private volatile Map<String, String> apiEntries = Map.of();

  /** Writes of this node through the API applied at once; a reload that read before one rereads. */
  private long ownWrites;

  private byte[] lastRead;
  private volatile String fileError;

  /** Whether the start's "configured" line was logged (once the API's resources were read). */
  private boolean announced;

  /**
   * The bridges of the file at {@code path} (null without a file) and of {@code resources} (null
   * without a store), applied to {@code instances}; {@code context} is the bridges'.
   */
  BridgeConfiguration(
      Vertx vertx,
      Context context,
      Path path,
      NamespaceEntries resources,
      DataflowInstances instances) {
    this.vertx = vertx;
    this.context = context;
    this.path = path;
    this.baseDir = path == null || path.getParent() == null ? Path.of(".") : path.getParent();
    this.resources = resources;
    this.instances = instances;
  }

  /** The bridge file; null without one. */
  Path path() {
    return path;
  }

  /**
   * Applies the API's resources as the cluster holds them now, with the bridge file's. A
   * combination that does not parse (the file gained a name an API dataflow's endpoint needs, say)
   * is not applied, and logged. On the context.
   */
  void reloadResources() {
    long writesBefore = ownWrites;
    vertx
        .executeBlocking(
            () -> {
              Map<String, String> api =
                  resources == null ? Map.of() : new TreeMap<>(resources.all());
              Object root = fileRootNow();
              return new Composed(
                  root, api, BridgeFile.parse(BridgeDocument.compose(root, api), baseDir));
            })
        .onComplete(
            ar -> {
              if (ownWrites != writesBefore) {
                reloadResources(); // read before this node's own write landed: read again
                return;
              }
              if (ar.failed()) {
                LOG.warn(
                    "bridge: the dataflow endpoints and dataflows of the management API do not fit"
                        + " with bridge.file; the bridges stay as they were: {}",
                    ar.cause().getMessage());
                announce(instances.file(), 0, 0);
                return;
              }
              BridgeFile composed = ar.result().file();
              Object root = ar.result().fileRoot();
              announce(
                  composed,
                  composed.dataflows().size() - BridgeDocument.resources(root, "dataflows").size(),
                  composed.endpoints().size()
                      - BridgeDocument.resources(root, "dataflowEndpoints").size());
              if (fileRoot == null) {
                fileRoot = ar.result().fileRoot();
              }
              apiEntries = ar.result().api();
              instances.apply(
                  ar.result().file(),
                  "bridge: a dataflow endpoint or dataflow of the management API changed");
            });
  }

  /**
   * Applies this node's own write through the API at once ({@code api} as now stored, {@code
   * parsed} as {@link #check} made it), so that the caller's next request to this node sees it; the
   * store's change event brings the same to every node shortly after.
   */
  Future<Void> applyOwnWrite(Map<String, String> api, BridgeFile parsed) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          ownWrites++;
          apiEntries = new TreeMap<>(api);
          instances.apply(
              parsed, "bridge: a dataflow endpoint or dataflow of the management API changed");
          done.complete();
        });
    return done.future();
  }

  /**
   * Logs, once, what the bridges start with: the file's dataflows and endpoints with those of the
   * management API ({@code fromApi} dataflows, {@code endpointsFromApi} endpoints of them).
   */
  private void announce(BridgeFile composed, int fromApi, int endpointsFromApi) {
    if (announced) {
      return;
    }
    announced = true;
    LOG.info(
        "bridge: {} dataflows to {} remote endpoints configured ({} dataflows and {} endpoints of"
            + " them made through the management API)",
        composed.dataflows().size(),
        composed.endpoints().size(),
        fromApi,
        endpointsFromApi);
  }

  private record Composed(Object fileRoot, Map<String, String> api, BridgeFile file) {}

  /**
   * Checks the bridges as they would be with the API's resources {@code api} (key {@code
   * <kind>/<name>}, value the properties as JSON) in place of those held now; fails with a {@link
   * BridgeFile.BridgeConfigException} naming the field. Reads the files the endpoints name: off the
   * event loop.
   */
  Future<BridgeFile> check(Map<String, String> api) {
    return vertx.executeBlocking(
        () -> BridgeFile.parse(BridgeDocument.compose(fileRootNow(), api), baseDir));
  }

  /**
   * The bridge file's document: as last applied, or read now when none was yet (a request in the
   * moment after the start must not be checked, and applied, without the file's dataflows).
   * Blocking.
   */
  private Object fileRootNow() throws IOException {
    Object root = fileRoot;
    if (root == null) {
      root =
          path == null
              ? Map.of()
              : BridgeDocument.load(Files.readString(path, StandardCharsets.UTF_8));
    }
    return root;
  }

  /** The API's resources as last applied. */
  Map<String, String> apiEntries() {
    return apiEntries;
  }

  /** The resources of {@code kind} in the bridge file: name, then the properties. */
  Map<String, Object> fileResources(String kind) {
    return BridgeDocument.resources(fileRoot, kind);
  }

  /** Where the API's resources are kept; null where there is no such store. */
  NamespaceEntries store() {
    return resources;
  }

  /**
   * Why the last change of the bridge file was not applied (the field and the reason); null when it
   * was, or the file has not changed since the start.
   */
  String fileError() {
    return fileError;
  }

  /** Reads the bridge file and applies it if it changed since the last read. On the context. */
  void checkForChange() {
    vertx
        .executeBlocking(
            () -> {
              byte[] bytes = Files.readAllBytes(path);
              if (Arrays.equals(bytes, lastRead)) {
                return null;
              }
              lastRead = bytes; // a broken content is reported once, not every interval
              // parsed here, off the event loop: it reads the files the endpoints name. The file
              // alone first, so that a message names its fields as the file has them
              Object root = BridgeDocument.load(new String(bytes, StandardCharsets.UTF_8));
              BridgeFile.parse(root, baseDir);
              Map<String, String> api = apiEntries;
              return new Composed(
                  root, api, BridgeFile.parse(BridgeDocument.compose(root, api), baseDir));
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fileError = ar.cause().getMessage();
                if (ar.cause() instanceof BridgeFile.BridgeConfigException) {
                  LOG.warn(
                      "bridge.file {} changed but was not applied, the bridges stay as they were: {}",
                      path,
                      ar.cause().getMessage());
                } else {
                  LOG.warn(
                      "bridge.file {} cannot be read, the bridges stay as they were: {}",
                      path,
                      ar.cause().toString());
                }
              } else if (ar.result() != null) {
                fileError = null;
                fileRoot = ar.result().fileRoot();
                instances.apply(ar.result().file(), "bridge.file " + path + " changed");
              }
            });
  }
}
