package io.mqttgrid.bridge;

import io.mqttgrid.session.SessionManager;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the bridges report: the state of every dataflow instance for the management API, the details
 * readiness shows, and the queue-depth gauges. Reads the {@link DataflowInstances} on the bridges'
 * context.
 */
final class BridgeReports {

  private final Context context;
  private final SessionManager sessions;
  private final BridgeMetrics metrics;
  private final DataflowInstances instances;
  private final BridgeConfiguration configuration;

  private volatile JsonObject readinessDetails;

  /** Reports of {@code instances} and {@code configuration}; {@code context} is the bridges'. */
  BridgeReports(
      Context context,
      SessionManager sessions,
      BridgeMetrics metrics,
      DataflowInstances instances,
      BridgeConfiguration configuration) {
    this.context = context;
    this.sessions = sessions;
    this.metrics = metrics;
    this.instances = instances;
    this.configuration = configuration;
  }

  /**
   * What every dataflow instance is doing (all stopped on a node that does not run them), with the
   * depth of the local sessions' queues.
   */
  Future<List<BridgeStatus>> statuses() {
    Promise<List<BridgeStatus>> done = Promise.promise();
    context.runOnContext(
        v -> {
          List<Future<BridgeStatus>> all = new ArrayList<>();
          instances
              .byDataflow()
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
  JsonObject readinessDetails() {
    return readinessDetails;
  }

  private void refreshReadinessDetails() {
    int here = 0;
    int connected = 0;
    JsonArray notConnected = new JsonArray();
    for (List<DataflowBridge> list : instances.byDataflow()) {
      for (DataflowBridge b : list) {
        if (!instances.runsHere(b)) {
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
  void refreshQueued() {
    refreshReadinessDetails();
    for (List<DataflowBridge> list : instances.byDataflow()) {
      BridgeFile.Dataflow flow = list.get(0).flow();
      if (flow.direction() != BridgeFile.Direction.LOCAL_TO_REMOTE) {
        continue;
      }
      BridgeMetrics.Flow meters = metrics.flow(flow);
      List<Future<Integer>> sizes = new ArrayList<>();
      for (DataflowBridge b : list) {
        if (instances.runsHere(b)) {
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
  Future<JsonObject> state() {
    return statuses()
        .map(
            all -> {
              String here = instances.localNode();
              Path file = configuration.path();
              JsonObject body =
                  new JsonObject()
                      .put("file", file == null ? null : file.toString())
                      .put("fileError", configuration.fileError())
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
}
