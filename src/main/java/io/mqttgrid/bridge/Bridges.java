package io.mqttgrid.bridge;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.access.NamespaceEntries;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.ClientChannel;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridges of this broker (the dataflows of {@code bridge.file} and of the management API), each
 * dataflow instance run by one node of the cluster, which {@link BridgeOwnership} picks from the
 * node ids of the members: every node computes the same owner from the member list it sees, with no
 * cluster call, and starts or stops its instances when that list changes. Were every node to run an
 * instance, each remote-to-local message would arrive once per node and the nodes would take the
 * instance's sessions (same client ids) from each other in turn. The instances of a dataflow with
 * {@code instanceCount} > 1 run on different nodes, and share the load through their shared
 * subscriptions.
 *
 * <p>When the node that runs an instance leaves, the survivor the ranking names next starts it at
 * once: its local session moves with the session takeover and its remote session is resumed under
 * the same client id, so nothing queued on either side is lost. When an instance moves off a node
 * that is still a member (a node joined), the new owner waits {@link #HANDOVER_MILLIS} first, so
 * that the old owner, which sees the same change, has stopped it; should it not have, the new
 * owner's connections take both sessions over (the local one stops it there). A single node simply
 * runs them all.
 *
 * <p>Every node watches the file (as the namespace file is watched) and applies a change: added
 * dataflows start, removed ones stop, changed ones restart; the bridge's local sessions that no
 * dataflow uses any more are ended and deleted. A file with a mistake changes nothing.
 */
public final class Bridges extends AbstractVerticle {

  private static final Logger LOG = LoggerFactory.getLogger(Bridges.class);

  /**
   * How long a node waits before it starts an instance that moves to it from a member that is still
   * there: the old owner sees the same membership change within milliseconds and stops it
   * meanwhile.
   */
  static final long HANDOVER_MILLIS = 1000;

  private final Path path;
  private final long watchIntervalMillis;
  private final PublishPipeline pipeline;
  private final SessionManager sessions;
  private final BridgeMetrics metrics;
  private final ClusterMembership membership;
  private final long initialDelayMillis;
  private final long maxDelayMillis;

  /**
   * The dataflow endpoints and dataflows made through the management API, cluster-wide (key {@code
   * <kind>/<name>}, value the properties as JSON); null where there is no such store.
   */
  private final NamespaceEntries resources;

  private final Path baseDir;

  /** The bridge file's document (maps and lists), as last applied; empty without a file. */
  private volatile Object fileRoot;

  /** The API's resources as last applied, sorted by key (the same order on every node). */
  private volatile Map<String, String> apiEntries = Map.of();

  /** Writes of this node through the API applied at once; a reload that read before one rereads. */
  private long ownWrites;

  /** The instances of each dataflow, by dataflow name, in the file's order. */
  private final Map<String, List<DataflowBridge>> running = new LinkedHashMap<>();

  private BridgeFile file;
  private final LoopGuard loops;
  private byte[] lastRead;
  private volatile String fileError;
  private long timer = -1;
  private long queueTimer = -1;

  /** This node's id as the members list shows it; null while it shows none. */
  private String localNode;

  private boolean stopped;

  /** Whether the start's "configured" line was logged (once the API's resources were read). */
  private boolean announced;

  /**
   * {@code file} as read from {@code path} at start; {@code path} is checked for changes every
   * {@code watchIntervalMillis}.
   */
  public Bridges(
      BridgeFile file,
      Path path,
      long watchIntervalMillis,
      PublishPipeline pipeline,
      SessionManager sessions,
      MeterRegistry registry,
      ClusterMembership membership,
      long initialDelayMillis,
      long maxDelayMillis,
      NamespaceEntries resources) {
    this.resources = resources;
    this.baseDir = path == null || path.getParent() == null ? Path.of(".") : path.getParent();
    this.file = file;
    this.loops = new LoopGuard(file);
    this.path = path;
    this.watchIntervalMillis = watchIntervalMillis;
    this.pipeline = pipeline;
    this.sessions = sessions;
    this.metrics = new BridgeMetrics(registry);
    this.membership = membership;
    this.initialDelayMillis = initialDelayMillis;
    this.maxDelayMillis = maxDelayMillis;
  }

  @Override
  public void start() {
    for (BridgeFile.Dataflow flow : file.dataflows()) {
      running.put(flow.name(), instances(flow));
    }
    membership.onMembersChanged(() -> context.runOnContext(v -> decide()));
    decide();
    if (path != null) {
      timer = vertx.setPeriodic(watchIntervalMillis, t -> checkForChange());
    }
    queueTimer = vertx.setPeriodic(watchIntervalMillis, t -> refreshQueued());
    if (resources != null) {
      resources.onChange(() -> context.runOnContext(v -> reloadResources()));
    }
    reloadResources();
  }

  /**
   * Applies the API's resources as the cluster holds them now, with the bridge file's. A
   * combination that does not parse (the file gained a name an API dataflow's endpoint needs, say)
   * is not applied, and logged. On the context.
   */
  private void reloadResources() {
    long writesBefore = ownWrites;
    vertx
        .executeBlocking(
            () -> {
              Map<String, String> api =
                  resources == null ? Map.of() : new TreeMap<>(resources.all());
              Object root = fileRootNow();
              return new Composed(
                  root, api, BridgeFile.parse(BridgeFile.compose(root, api), baseDir));
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
                announce(file, 0, 0);
                return;
              }
              BridgeFile composed = ar.result().file();
              Object root = ar.result().fileRoot();
              announce(
                  composed,
                  composed.dataflows().size() - BridgeFile.resources(root, "dataflows").size(),
                  composed.endpoints().size()
                      - BridgeFile.resources(root, "dataflowEndpoints").size());
              if (fileRoot == null) {
                fileRoot = ar.result().fileRoot();
              }
              apiEntries = ar.result().api();
              apply(
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
          apply(parsed, "bridge: a dataflow endpoint or dataflow of the management API changed");
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
        () -> BridgeFile.parse(BridgeFile.compose(fileRootNow(), api), baseDir));
  }

  /**
   * The bridge file's document: as last applied, or read now when none was yet (a request in the
   * moment after the start must not be checked, and applied, without the file's dataflows).
   * Blocking.
   */
  private Object fileRootNow() throws java.io.IOException {
    Object root = fileRoot;
    if (root == null) {
      root =
          path == null ? Map.of() : BridgeFile.load(Files.readString(path, StandardCharsets.UTF_8));
    }
    return root;
  }

  /** The API's resources as last applied. */
  Map<String, String> apiEntries() {
    return apiEntries;
  }

  /** The resources of {@code kind} in the bridge file: name, then the properties. */
  Map<String, Object> fileResources(String kind) {
    return BridgeFile.resources(fileRoot, kind);
  }

  /** Where the API's resources are kept; null where there is no such store. */
  NamespaceEntries store() {
    return resources;
  }

  /** The instances of {@code flow} (not started). */
  private List<DataflowBridge> instances(BridgeFile.Dataflow flow) {
    List<DataflowBridge> out = new ArrayList<>();
    for (int i = 1; i <= flow.instanceCount(); i++) {
      out.add(
          new DataflowBridge(
              vertx,
              context,
              flow,
              i,
              pipeline,
              sessions,
              metrics,
              loops,
              initialDelayMillis,
              maxDelayMillis,
              watchIntervalMillis));
    }
    return out;
  }

  /**
   * What every dataflow instance is doing (all stopped on a node that does not run them), with the
   * depth of the local sessions' queues.
   */
  public Future<List<BridgeStatus>> statuses() {
    Promise<List<BridgeStatus>> done = Promise.promise();
    context.runOnContext(
        v -> {
          List<Future<BridgeStatus>> all = new ArrayList<>();
          running
              .values()
              .forEach(
                  list ->
                      list.forEach(
                          b -> {
                            BridgeStatus s = b.status();
                            all.add(
                                s.localClientId() == null ? Future.succeededFuture(s) : queued(s));
                          }));
          Future.all(all).map(f -> f.<BridgeStatus>list()).onComplete(done);
        });
    return done.future();
  }

  /**
   * What readiness shows of the bridges (never making the node unready: a remote that is away is
   * not this node's fault): the dataflow instances this node runs, how many are connected, and the
   * names of those that are not. Null when this node runs none. Dataflow names only, no hosts or
   * errors: readiness needs no credential. Refreshed every watch interval, on the context.
   */
  public JsonObject readinessDetails() {
    return readinessDetails;
  }

  private volatile JsonObject readinessDetails;

  private void refreshReadinessDetails() {
    int here = 0;
    int connected = 0;
    JsonArray notConnected = new JsonArray();
    for (List<DataflowBridge> instances : running.values()) {
      for (DataflowBridge b : instances) {
        if (!runsHere(b)) {
          continue;
        }
        here++;
        if (b.status().connected()) {
          connected++;
        } else {
          notConnected.add(b.flow().instanceName(b.instance()));
        }
      }
    }
    readinessDetails =
        here == 0
            ? null
            : new JsonObject()
                .put("instances", here)
                .put("connected", connected)
                .put("notConnected", notConnected);
  }

  /**
   * The queue-depth gauge of each local-to-remote dataflow: what the sessions of its instances that
   * this node runs hold in the session store (NaN where it runs none); and readiness's details. On
   * the bridges' context.
   */
  private void refreshQueued() {
    refreshReadinessDetails();
    for (List<DataflowBridge> instances : running.values()) {
      BridgeFile.Dataflow flow = instances.get(0).flow();
      if (flow.direction() != BridgeFile.Direction.LOCAL_TO_REMOTE) {
        continue;
      }
      BridgeMetrics.Flow meters = metrics.flow(flow);
      List<Future<Integer>> sizes = new ArrayList<>();
      for (DataflowBridge b : instances) {
        if (runsHere(b)) {
          sizes.add(sessions.store().queued(b.localClientId()).map(List::size));
        }
      }
      if (sizes.isEmpty()) {
        meters.queued(Double.NaN);
        continue;
      }
      Future.all(sizes)
          .onComplete(
              ar ->
                  meters.queued(
                      ar.failed() ? Double.NaN : sizes.stream().mapToInt(Future::result).sum()));
    }
  }

  /**
   * {@code status} with the number of messages its local session holds in the session store:
   * waiting for the remote or sent and not yet acknowledged by it. Read from the store (the whole
   * queue: at most session.max-queued-messages), so it is right on any node and while the session
   * is offline; -1 when the store cannot be read.
   */
  private Future<BridgeStatus> queued(BridgeStatus status) {
    return sessions
        .store()
        .queued(status.localClientId())
        .map(q -> status.withQueued(q.size()))
        .otherwise(status);
  }

  /**
   * The bridges' state for the management API: the file, whether its last change was refused, this
   * node's id and whether it runs any dataflow instance, and per dataflow its instances' {@link
   * BridgeStatus} (with the node that runs each).
   */
  public Future<JsonObject> state() {
    return statuses()
        .map(
            all -> {
              String here = localNode;
              JsonObject body =
                  new JsonObject()
                      .put("file", path == null ? null : path.toString())
                      .put("fileError", fileError)
                      .put("node", here)
                      .put(
                          "runsHere",
                          here != null && all.stream().anyMatch(s -> here.equals(s.node())));
              Map<String, JsonObject> flows = new LinkedHashMap<>();
              for (BridgeStatus s : all) {
                JsonObject flow =
                    flows.computeIfAbsent(
                        s.dataflow(),
                        n ->
                            new JsonObject()
                                .put("name", n)
                                .put("direction", s.direction())
                                .put("endpoint", s.endpoint())
                                .put("instances", new JsonArray()));
                flow.getJsonArray("instances").add(s.toJson());
              }
              return body.put("dataflows", new JsonArray(new ArrayList<>(flows.values())));
            });
  }

  /**
   * Why the last change of the bridge file was not applied (the field and the reason); null when it
   * was, or the file has not changed since the start.
   */
  public String fileError() {
    return fileError;
  }

  /** Whether this node runs {@code b}, as last decided. On the context. */
  private boolean runsHere(DataflowBridge b) {
    return localNode != null && localNode.equals(b.node());
  }

  /**
   * The node ids of the members, oldest first, and this node's among them ({@link #localNode});
   * none while this node is not a running member (it then runs nothing). On the context.
   */
  private List<String> members() {
    List<String> nodes = new ArrayList<>();
    String here = null;
    for (ClusterMembership.MemberInfo m : membership.members()) {
      if (m.node() != null) {
        nodes.add(m.node());
        if (m.local()) {
          here = m.node();
        }
      }
    }
    localNode = here;
    return here == null ? List.of() : nodes;
  }

  /**
   * Starts the instances this node runs by the members it sees now and stops those it no longer
   * runs; an instance that moves here from a member still present starts after {@link
   * #HANDOVER_MILLIS}, one whose node left (or any on a single node) at once. An instance of this
   * node that another node's session takeover stopped (both thought they ran it) starts again here
   * too, after the same wait. On the context.
   */
  private void decide() {
    if (stopped) {
      return;
    }
    List<String> nodes = members();
    List<String> starting = new ArrayList<>();
    List<String> stopping = new ArrayList<>();
    for (List<DataflowBridge> instances : running.values()) {
      for (DataflowBridge b : instances) {
        String before = b.node();
        String now = BridgeOwnership.owner(b.flow().name(), b.instance(), nodes);
        b.runsOn(now);
        boolean mine = now != null && now.equals(localNode);
        if (!mine && !b.isStopped()) {
          stopping.add(b.flow().instanceName(b.instance()));
          b.stop();
        } else if (mine && b.isStopped()) {
          starting.add(b.flow().instanceName(b.instance()));
          boolean previousGone =
              before != null && !before.equals(localNode) && !nodes.contains(before);
          if (previousGone || nodes.size() == 1) {
            b.start();
          } else {
            startAfterHandover(b);
          }
        }
      }
    }
    if (!starting.isEmpty() && stopping.isEmpty()) {
      LOG.info(
          "bridge: with the members {} this node starts the dataflow instances {}",
          nodes,
          starting);
    } else if (!stopping.isEmpty()) {
      LOG.info(
          "bridge: with the members {} this node starts the dataflow instances {} and stops {}"
              + " (other nodes run them now)",
          nodes,
          starting,
          stopping);
    }
  }

  /** Starts {@code b} after the handover wait, if this node still runs it then. On the context. */
  private void startAfterHandover(DataflowBridge b) {
    vertx.setTimer(
        HANDOVER_MILLIS,
        t -> {
          List<DataflowBridge> current = running.get(b.flow().name());
          if (!stopped && current != null && current.contains(b) && runsHere(b) && b.isStopped()) {
            b.start();
          }
        });
  }

  // ---- hot reload ----

  private void checkForChange() {
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
              Object root = BridgeFile.load(new String(bytes, StandardCharsets.UTF_8));
              BridgeFile.parse(root, baseDir);
              Map<String, String> api = apiEntries;
              return new Composed(
                  root, api, BridgeFile.parse(BridgeFile.compose(root, api), baseDir));
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
                apply(ar.result().file(), "bridge.file " + path + " changed");
              }
            });
  }

  /**
   * Makes the running dataflows those of {@code next}: removed and changed ones stop, the instances
   * of added and changed ones that this node runs start; local sessions of the bridge that no
   * dataflow uses any more are ended and deleted (by the oldest member), so that they stop
   * queueing. On the context.
   */
  private void apply(BridgeFile next, String what) {
    if (stopped) {
      return;
    }
    Map<String, BridgeFile.Dataflow> wanted = new LinkedHashMap<>();
    next.dataflows().forEach(d -> wanted.put(d.name(), d));
    Set<String> sessionsBefore = localSessionIds();
    List<String> removed = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    List<String> added = new ArrayList<>();
    List<Future<Void>> stops = new ArrayList<>();
    Map<String, List<DataflowBridge>> kept = new LinkedHashMap<>(running);
    for (Map.Entry<String, List<DataflowBridge>> e : running.entrySet()) {
      BridgeFile.Dataflow now = wanted.get(e.getKey());
      BridgeFile.Dataflow before = e.getValue().get(0).flow();
      if (now == null || !now.equals(before)) {
        (now == null ? removed : changed).add(e.getKey());
        e.getValue().forEach(b -> stops.add(b.stop()));
        kept.remove(e.getKey());
      }
    }
    running.clear();
    for (BridgeFile.Dataflow d : next.dataflows()) {
      List<DataflowBridge> instances = kept.get(d.name());
      if (instances == null) {
        if (!changed.contains(d.name())) {
          added.add(d.name());
        }
        instances = instances(d);
        List<String> nodes = members();
        for (DataflowBridge b : instances) {
          b.runsOn(BridgeOwnership.owner(d.name(), b.instance(), nodes));
        }
      }
      running.put(d.name(), instances);
    }
    file = next;
    loops.file(next);
    if (removed.isEmpty() && changed.isEmpty() && added.isEmpty()) {
      return;
    }
    LOG.info(
        "{} and was applied: dataflows added {}, changed {}, removed {}",
        what,
        added,
        changed,
        removed);
    Set<String> unused = new HashSet<>(sessionsBefore);
    unused.removeAll(localSessionIds());
    Future.join(stops)
        .onComplete(
            x -> {
              if (stopped) {
                return;
              }
              if (membership.isOldest()) {
                unused.forEach(this::deleteLocalSession);
              }
              for (String name : running.keySet()) {
                if (added.contains(name) || changed.contains(name)) {
                  running.get(name).stream().filter(this::runsHere).forEach(DataflowBridge::start);
                }
              }
            });
  }

  /** The client ids of the bridge's sessions here (local-to-remote instances). */
  private Set<String> localSessionIds() {
    Set<String> ids = new HashSet<>();
    running
        .values()
        .forEach(
            list ->
                list.forEach(
                    b -> {
                      if (b.flow().direction() == BridgeFile.Direction.LOCAL_TO_REMOTE) {
                        ids.add(b.localClientId());
                      }
                    }));
    return ids;
  }

  /**
   * Ends the session {@code clientId} with what it queued: a clean start with no expiry, then a
   * disconnect, as a client would do to discard its session.
   */
  private void deleteLocalSession(String clientId) {
    sessions
        .connect(new SessionManager.ConnectRequest(clientId, true, 0, 5, null, 0))
        .onSuccess(
            attached -> {
              ClientChannel discard = new DiscardChannel();
              sessions.attach(attached, discard);
              sessions.disconnected(attached.session(), discard, false, 0);
              LOG.info("bridge: session {} of a removed dataflow instance deleted", clientId);
            })
        .onFailure(
            e ->
                LOG.warn(
                    "bridge: session {} of a removed dataflow instance not deleted (it expires"
                        + " after its session expiry): {}",
                    clientId,
                    e.toString()));
  }

  /** The channel of a session being discarded: it sends nothing and is gone at once. */
  private static final class DiscardChannel implements ClientChannel {
    @Override
    public int sendWindow() {
      return 1;
    }

    @Override
    public boolean tooLargeForClient(PublishedMessage message, int qos, int[] subscriptionIds) {
      return false;
    }

    @Override
    public Future<Void> sendPublish(
        PublishedMessage message,
        int qos,
        boolean retain,
        boolean dup,
        int packetId,
        int[] subscriptionIds) {
      return Future.succeededFuture();
    }

    @Override
    public void sendPubrel(int packetId) {}

    @Override
    public void close(EndCause cause) {}
  }

  /** Stops every dataflow: remote connections closed, local sessions offline (and queueing). */
  public Future<Void> stopAll() {
    if (context == null) {
      // never started: a start that failed elsewhere (a listener's port taken) stops the node
      // before this verticle was deployed
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          stopped = true;
          if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
          }
          if (queueTimer >= 0) {
            vertx.cancelTimer(queueTimer);
            queueTimer = -1;
          }
          List<Future<Void>> all = new ArrayList<>();
          running.values().forEach(list -> list.forEach(b -> all.add(b.stop())));
          Future.join(all).<Void>mapEmpty().onComplete(done);
        });
    return done.future();
  }

  @Override
  public void stop(Promise<Void> stopPromise) {
    stopAll().onComplete(stopPromise);
  }
}
