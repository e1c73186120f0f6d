package io.mqttgrid.bridge;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.access.NamespaceEntries;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;

/**
 * The bridges of this broker: the dataflows of {@code bridge.file} and of the management API
 * ({@link BridgeConfiguration}, which watches the file and composes it with the API's resources),
 * each dataflow instance run by one node of the cluster ({@link DataflowInstances}, which starts
 * and stops this node's as the members and the dataflows change), and what they report ({@link
 * BridgeReports}). This verticle gives them its context, on which all of them run, and its life
 * cycle: the file's watch, the queue gauges' refresh, the listeners of the members and of the API's
 * store, and the stop.
 */
public final class Bridges extends AbstractVerticle {

  private final BridgeFile file;
  private final Path path;
  private final long watchIntervalMillis;
  private final PublishPipeline pipeline;
  private final SessionManager sessions;
  private final BridgeMetrics metrics;
  private final LoopGuard loops;
  private final ClusterMembership membership;
  private final long initialDelayMillis;
  private final long maxDelayMillis;
  private final NamespaceEntries resources;

  // made at the start, on this verticle's context, which all of them use
  private DataflowInstances instances;
  private volatile BridgeConfiguration configuration;
  private volatile BridgeReports reports;

  private long timer = -1;
  private long queueTimer = -1;

  /**
   * {@code file} as read from {@code path} at start; {@code path} is checked for changes every
   * {@code watchIntervalMillis}. {@code resources} holds the dataflow endpoints and dataflows made
   * through the management API; null where there is no such store.
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
    instances =
        new DataflowInstances(
            vertx,
            file,
            membership,
            loops,
            new RemovedInstanceSessions(sessions),
            (flow, i) ->
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
    configuration = new BridgeConfiguration(vertx, context, path, resources, instances);
    reports = new BridgeReports(context, sessions, metrics, instances, configuration);
    membership.onMembersChanged(() -> context.runOnContext(v -> instances.decide()));
    instances.decide();
    if (path != null) {
      timer = vertx.setPeriodic(watchIntervalMillis, t -> configuration.checkForChange());
    }
    queueTimer = vertx.setPeriodic(watchIntervalMillis, t -> reports.refreshQueued());
    if (resources != null) {
      resources.onChange(() -> context.runOnContext(v -> configuration.reloadResources()));
    }
    configuration.reloadResources();
  }

  /** Where the dataflows come from, for the management API's resources; made at the start. */
  BridgeConfiguration configuration() {
    return configuration;
  }

  /** What every dataflow instance is doing ({@link BridgeReports#statuses}). */
  public Future<List<BridgeStatus>> statuses() {
    return reports.statuses();
  }

  /**
   * What readiness shows of the bridges: the dataflow instances this node runs, how many are
   * connected, and the names of those that are not ({@link BridgeReports#readinessDetails}). Null
   * when this node runs none.
   */
  public JsonObject readinessDetails() {
    BridgeReports r = reports;
    return r == null ? null : r.readinessDetails();
  }

  /** The bridges' state for the management API ({@link BridgeReports#state}). */
  public Future<JsonObject> state() {
    return reports.state();
  }

  /**
   * Why the last change of the bridge file was not applied ({@link BridgeConfiguration#fileError});
   * null when it was, or the file has not changed since the start.
   */
  public String fileError() {
    BridgeConfiguration c = configuration;
    return c == null ? null : c.fileError();
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
          if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
          }
          if (queueTimer >= 0) {
            vertx.cancelTimer(queueTimer);
            queueTimer = -1;
          }
          instances.stopAll().onComplete(done);
        });
    return done.future();
  }

  @Override
  public void stop(Promise<Void> stopPromise) {
    stopAll().onComplete(stopPromise);
  }
}
