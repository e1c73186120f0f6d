package io.mqttgrid.access;

import io.mqttgrid.access.NamespaceModelJson.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The namespace model, one entry per resource in the cluster-wide {@link NamespaceEntries}, so
 * every node sees the same model and a change made on one node (management API or file) reaches all
 * of them. Each node keeps a compiled immutable snapshot ({@link #current()}); readers never touch
 * the network.
 *
 * <p>Each snapshot a node takes gets the next number of that node's {@link #version()}, and the
 * listeners see the snapshots one at a time, in that order: what was computed from a snapshot (a
 * connection's rights) can tell it is out of date by comparing numbers. A snapshot never goes back
 * on a write this node made.
 *
 * <p>An entry's value is JSON text: {@code {"origin": "file"|"api", "properties": {...},
 * "createdAt", "lastModifiedAt"}}. The origin lets a new version of the declarative file remove
 * what an older version declared without touching what the management API created.
 */
public final class NamespaceStore {

  private static final Logger LOG = LoggerFactory.getLogger(NamespaceStore.class);

  static final String SETTINGS_KEY = "settings";

  /** Where a resource came from. */
  public enum Origin {
    file,
    api
  }

  /** A resource as stored: its properties and bookkeeping. */
  public record StoredResource(
      String name, Origin origin, JsonObject properties, String createdAt, String lastModifiedAt) {}

  private final Vertx vertx;
  private final NamespaceEntries entries;
  private final NamespaceLimits limits;
  private final Function<String, String> queryProblem;
  private final Function<String, String> templateProblem;
  private final List<ModelListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean rebuildScheduled = new AtomicBoolean();

  /** Held by the rebuild that reads the map, so that rebuilds publish in the order they read. */
  private final Object rebuildLock = new Object();

  private volatile NamespaceModel current = NamespaceModel.EMPTY;

  /** The number of {@link #current}; both change together, under this object's lock. */
  private volatile long version;

  /**
   * Writes this node applied to its own snapshot (under this object's lock): a rebuild that read
   * the map while one landed may lack it, and reads again rather than take the write back.
   */
  private long ownWrites;

  /** Told of each new snapshot, with its version, on a worker thread, one snapshot at a time. */
  @FunctionalInterface
  public interface ModelListener {
    void changed(NamespaceModel model, long version);
  }

  /**
   * @param queryProblem the parse error of a client-group query, or null when it parses
   * @param templateProblem the parse error of a topic template, or null when it parses
   */
  public NamespaceStore(
      Vertx vertx,
      NamespaceEntries entries,
      NamespaceLimits limits,
      Function<String, String> queryProblem,
      Function<String, String> templateProblem) {
    this.vertx = vertx;
    this.entries = entries;
    this.limits = limits;
    this.queryProblem = queryProblem;
    this.templateProblem = templateProblem;
    entries.onChange(this::scheduleRebuild);
  }

  /**
   * Builds the first snapshot from what the cluster holds; call once, off the event loop or not.
   */
  public Future<NamespaceModel> start() {
    return vertx.executeBlocking(
        () -> {
          rebuild();
          return current;
        });
  }

  /** The model as this node knows it now. */
  public NamespaceModel current() {
    return current;
  }

  /** The number of this node's current snapshot; a larger number is a later snapshot. */
  public long version() {
    return version;
  }

  /** Called (on a worker thread) with each new snapshot, in version order. */
  public void onChange(ModelListener listener) {
    listeners.add(listener);
  }

  // ---------------------------------------------------------------------------------------------
  // reads

  public Future<StoredResource> get(Kind kind, String name) {
    return entries.get(key(kind, name)).map(json -> json == null ? null : stored(name, json));
  }

  /** Every resource of a kind, ordered by name. */
  public Future<List<StoredResource>> list(Kind kind) {
    String prefix = kind.path + "/";
    return vertx.executeBlocking(
        () -> {
          List<StoredResource> out = new ArrayList<>();
          for (Map.Entry<String, String> e : entries.withKeyPrefix(prefix, false).entrySet()) {
            out.add(stored(e.getKey().substring(prefix.length()), e.getValue()));
          }
          out.sort(java.util.Comparator.comparing(StoredResource::name));
          return out;
        });
  }

  public Future<StoredResource> settings() {
    return entries.get(SETTINGS_KEY).map(json -> json == null ? null : stored(SETTINGS_KEY, json));
  }

  // --------------------------------------------------------------------------------------------
  // writes

  /**
   * Creates or replaces one resource after checking it alone and the model it would make. Fails
   * with {@link ModelValidationException} for bad input. The result says whether it was created.
   */
  public Future<Boolean> put(Kind kind, String name, JsonObject properties, Origin origin) {
    Object parsed;
    try {
      parsed = parse(kind, name, properties);
    } catch (ModelValidationException e) {
      return Future.failedFuture(e);
    }
    return get(kind, name)
        .compose(
            existing -> {
              if (existing != null && kind == Kind.CLIENTS) {
                ClientResource before =
                    NamespaceModelJson.client(name, existing.properties(), limits);
                if (!before
                    .authenticationName()
                    .equals(((ClientResource) parsed).authenticationName())) {
                  return Future.failedFuture(
                      new ModelValidationException(
                          "properties.authenticationName",
                          "cannot change after the client is created (was '"
                              + before.authenticationName()
                              + "')"));
                }
              }
              return freshModel()
                  .compose(
                      fresh -> {
                        try {
                          NamespaceModelJson.checkModel(with(fresh, kind, name, parsed), limits);
                        } catch (ModelValidationException e) {
                          return Future.failedFuture(e);
                        }
                        String now = java.time.Instant.now().toString();
                        JsonObject value =
                            new JsonObject()
                                .put("origin", origin.name())
                                .put("properties", NamespaceModelJson.toJson(kind, parsed))
                                .put("createdAt", existing == null ? now : existing.createdAt())
                                .put("lastModifiedAt", now);
                        return entries
                            .put(key(kind, name), value.encode())
                            .compose(v -> readOwnWrite(kind, name, parsed))
                            .map(v -> existing == null);
                      });
            });
  }

  /**
   * Removes one resource unless other resources still name it; the result says whether it existed.
   */
  public Future<Boolean> delete(Kind kind, String name) {
    return freshModel()
        .compose(
            fresh -> {
              try {
                NamespaceModelJson.checkModel(with(fresh, kind, name, null), limits);
              } catch (ModelValidationException e) {
                return Future.failedFuture(new ReferencedException(e.getMessage()));
              }
              return entries
                  .remove(key(kind, name))
                  .compose(old -> readOwnWrite(kind, name, null).map(v -> old != null));
            });
  }

  /**
   * The model to check a write against: every resource but the clients read from the cluster now
   * (they are few), so a binding may name a topic space created a moment ago through another node;
   * the clients from this node's snapshot.
   */
  private Future<NamespaceModel> freshModel() {
    return vertx.executeBlocking(
        () -> {
          NamespaceModel snapshot = current;
          NamespaceModelJson.ModelBuilder builder = new NamespaceModelJson.ModelBuilder();
          snapshot.clients().values().forEach(c -> builder.add(Kind.CLIENTS, c));
          for (Map.Entry<String, String> e :
              entries.withKeyPrefix(Kind.CLIENTS.path + "/", true).entrySet()) {
            int slash = e.getKey().indexOf('/');
            Kind kind = slash < 0 ? null : Kind.ofPath(e.getKey().substring(0, slash));
            if (kind != null) {
              builder.add(
                  kind,
                  parse(
                      kind,
                      e.getKey().substring(slash + 1),
                      new JsonObject(e.getValue()).getJsonObject("properties")));
            }
          }
          return builder.build(snapshot.settings());
        });
  }

  /**
   * This node's snapshot (and what its listeners compute from it, such as rights) shows a write it
   * made before the write is answered, so a script's next request to the same node, or a client
   * connecting to it, sees it; the entry listener brings the same change to every node (this one
   * included) shortly after. Off the event loop: the listeners compile the model.
   */
  private Future<Void> readOwnWrite(Kind kind, String name, Object resource) {
    return vertx.executeBlocking(
        () -> {
          synchronized (this) {
            ownWrites++;
            publish(with(current, kind, name, resource));
          }
          return null;
        });
  }

  private Future<Void> readOwnSettings(NamespaceSettings settings) {
    return vertx.executeBlocking(
        () -> {
          synchronized (this) {
            ownWrites++;
            NamespaceModel m = current;
            publish(
                new NamespaceModel(
                    settings,
                    m.clients().values(),
                    m.clientGroups().values(),
                    m.topicSpaces().values(),
                    m.permissionBindings().values(),
                    m.caCertificates().values(),
                    m.roleAssignments().values()));
          }
          return null;
        });
  }

  /** A delete refused because other resources refer to the resource. */
  public static final class ReferencedException extends RuntimeException {
    ReferencedException(String message) {
      super(message);
    }
  }

  public Future<Void> putSettings(JsonObject properties, Origin origin) {
    NamespaceSettings s;
    try {
      s = NamespaceModelJson.settings(properties);
    } catch (ModelValidationException e) {
      return Future.failedFuture(e);
    }
    String now = java.time.Instant.now().toString();
    JsonObject value =
        new JsonObject()
            .put("origin", origin.name())
            .put("properties", NamespaceModelJson.toStoredJson(s))
            .put("createdAt", now)
            .put("lastModifiedAt", now);
    return entries.put(SETTINGS_KEY, value.encode()).compose(v -> readOwnSettings(s));
  }

  /**
   * Makes the cluster's model hold exactly what the declarative file says for the resources the
   * file manages: the whole document is checked first (nothing is written when it has an error),
   * then its resources are written and file resources it no longer lists are removed. Resources
   * created through the management API are left alone unless the file now declares them too.
   */
  public Future<Void> applyDocument(JsonObject document) {
    NamespaceModel model;
    try {
      model = NamespaceModelJson.document(document, limits, queryProblem, templateProblem);
    } catch (ModelValidationException e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(
        () -> {
          // written in dependency order (settings, then Kind order: a binding after its group and
          // topic space), so
          // that no snapshot built in between sees a binding whose topic space is not there yet
          Map<String, String> wanted = new LinkedHashMap<>();
          String now = java.time.Instant.now().toString();
          if (document.containsKey("settings")) {
            wanted.put(SETTINGS_KEY, NamespaceModelJson.toStoredJson(model.settings()).encode());
          }
          for (Kind kind : Kind.values()) {
            resources(model, kind)
                .forEach(
                    (n, r) ->
                        wanted.put(key(kind, n), NamespaceModelJson.toJson(kind, r).encode()));
          }
          int written = 0;
          for (Map.Entry<String, String> e : wanted.entrySet()) {
            String old = entries.getNow(e.getKey());
            JsonObject oldValue = old == null ? null : new JsonObject(old);
            JsonObject properties = new JsonObject(e.getValue());
            if (oldValue != null
                && Origin.file.name().equals(oldValue.getString("origin"))
                && properties.equals(oldValue.getJsonObject("properties"))) {
              continue; // unchanged: no write, no event on every node
            }
            entries.putNow(
                e.getKey(),
                new JsonObject()
                    .put("origin", Origin.file.name())
                    .put("properties", properties)
                    .put("createdAt", oldValue == null ? now : oldValue.getString("createdAt", now))
                    .put("lastModifiedAt", now)
                    .encode());
            written++;
          }
          // removed in the reverse order: bindings before what they name
          List<String> stale = new ArrayList<>();
          for (Map.Entry<String, String> e : entries.all().entrySet()) {
            if (!wanted.containsKey(e.getKey())
                && Origin.file.name().equals(new JsonObject(e.getValue()).getString("origin"))) {
              stale.add(e.getKey());
            }
          }
          stale.sort(java.util.Comparator.comparingInt(NamespaceStore::dependencyRank).reversed());
          stale.forEach(entries::removeNow);
          int removed = stale.size();
          if (written > 0 || removed > 0) {
            LOG.info("namespace file applied: {} resources written, {} removed", written, removed);
          }
          return null;
        });
  }

  // ------------------------------------------------------------------------------------------
  // snapshot

  private void scheduleRebuild() {
    if (rebuildScheduled.compareAndSet(false, true)) {
      // changes often come in bursts (a file applied, a script of PUTs): one rebuild for the burst
      vertx.setTimer(
          20,
          t ->
              vertx.executeBlocking(
                  () -> {
                    rebuildScheduled.set(false);
                    rebuild();
                    return null;
                  }));
    }
  }

  private void rebuild() {
    // one rebuild at a time: two timers' rebuilds may run on two worker threads, and the one that
    // read the
    // map first must not publish last
    synchronized (rebuildLock) {
      while (true) {
        long writesBefore;
        synchronized (this) {
          writesBefore = ownWrites;
        }
        NamespaceModel model = readModel();
        synchronized (this) {
          if (ownWrites == writesBefore) {
            publish(model);
            return;
          }
        }
        // a write of this node was applied to the snapshot while the map was read; what was read
        // may
        // predate it, so read again rather than take the write back
      }
    }
  }

  /** The model as the cluster holds it now. */
  private NamespaceModel readModel() {
    NamespaceSettings settings = NamespaceSettings.DEFAULTS;
    NamespaceModelJson.ModelBuilder builder = new NamespaceModelJson.ModelBuilder();
    for (Map.Entry<String, String> e : entries.all().entrySet()) {
      try {
        JsonObject props = new JsonObject(e.getValue()).getJsonObject("properties");
        if (e.getKey().equals(SETTINGS_KEY)) {
          settings = NamespaceModelJson.settings(props);
          continue;
        }
        int slash = e.getKey().indexOf('/');
        Kind kind = Kind.ofPath(e.getKey().substring(0, slash));
        builder.add(kind, parse(kind, e.getKey().substring(slash + 1), props));
      } catch (RuntimeException ex) {
        // stored by a node that accepted it; a rule this node applies differently must not stop the
        // rest
        LOG.warn("namespace resource '{}' skipped: {}", e.getKey(), ex.getMessage());
      }
    }
    return builder.build(settings);
  }

  /**
   * Makes a model the next snapshot and tells the listeners, before the next snapshot can be made.
   */
  private void publish(NamespaceModel model) {
    assert Thread.holdsLock(this);
    long v = version + 1;
    current = model;
    version = v;
    for (ModelListener l : listeners) {
      try {
        l.changed(model, v);
      } catch (RuntimeException ex) {
        LOG.warn("namespace change listener failed: {}", ex.toString());
      }
    }
  }

  // -----------------------------------------------------------------------------------------
  // helpers

  private Object parse(Kind kind, String name, JsonObject p) {
    return NamespaceModelJson.resource(kind, name, p, limits, queryProblem, templateProblem);
  }

  /** The model with one resource replaced (or removed when {@code resource} is null). */
  private static NamespaceModel with(NamespaceModel m, Kind kind, String name, Object resource) {
    NamespaceModelJson.ModelBuilder builder = new NamespaceModelJson.ModelBuilder();
    for (Kind k : Kind.values()) {
      for (Map.Entry<String, ?> e : resources(m, k).entrySet()) {
        if (k != kind || !e.getKey().equals(name)) {
          builder.add(k, e.getValue());
        }
      }
    }
    if (resource != null) {
      builder.add(kind, resource);
    }
    return builder.build(m.settings());
  }

  private static Map<String, ?> resources(NamespaceModel m, Kind kind) {
    return switch (kind) {
      case CLIENTS -> m.clients();
      case CLIENT_GROUPS -> m.clientGroups();
      case TOPIC_SPACES -> m.topicSpaces();
      case PERMISSION_BINDINGS -> m.permissionBindings();
      case CA_CERTIFICATES -> m.caCertificates();
      case ROLE_ASSIGNMENTS -> m.roleAssignments();
    };
  }

  /**
   * Settings first, then resource kinds in declaration order (which puts what is named before what
   * names it).
   */
  private static int dependencyRank(String key) {
    int slash = key.indexOf('/');
    Kind kind = slash < 0 ? null : Kind.ofPath(key.substring(0, slash));
    return kind == null ? -1 : kind.ordinal();
  }

  private static String key(Kind kind, String name) {
    return kind.path + "/" + name;
  }

  private static StoredResource stored(String name, String json) {
    JsonObject o = new JsonObject(json);
    return new StoredResource(
        name,
        Origin.valueOf(o.getString("origin", "api")),
        o.getJsonObject("properties"),
        o.getString("createdAt"),
        o.getString("lastModifiedAt"));
  }
}
