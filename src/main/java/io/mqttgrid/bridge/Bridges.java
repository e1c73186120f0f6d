package io.mqttgrid.bridge;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridges of this broker (the dataflows of {@code bridge.file}), run by one node of the
 * cluster: the oldest member. Were every node to run them, each remote-to-local message would
 * arrive once per node and the nodes would take the bridge's sessions (same client ids) from each
 * other in turn. When the oldest member leaves, the next oldest starts them; the bridge's local
 * sessions move with the session takeover and the remote sessions are resumed under the same client
 * ids, so nothing queued on either side is lost. A single node simply runs them.
 */
public final class Bridges extends AbstractVerticle {

  private static final Logger LOG = LoggerFactory.getLogger(Bridges.class);

  private final BridgeFile file;
  private final PublishPipeline pipeline;
  private final SessionManager sessions;
  private final BridgeMetrics metrics;
  private final ClusterMembership membership;
  private final long initialDelayMillis;
  private final long maxDelayMillis;
  private final List<DataflowBridge> running = new ArrayList<>();
  private boolean owner;
  private boolean stopped;

  public Bridges(
      BridgeFile file,
      PublishPipeline pipeline,
      SessionManager sessions,
      MeterRegistry registry,
      ClusterMembership membership,
      long initialDelayMillis,
      long maxDelayMillis) {
    this.file = file;
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
      running.addAll(instances(flow));
    }
    LOG.info(
        "bridge: {} dataflows to {} remote endpoints configured",
        file.dataflows().size(),
        file.endpoints().size());
    membership.onMembersChanged(() -> context.runOnContext(v -> decide()));
    decide();
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
              initialDelayMillis,
              maxDelayMillis));
    }
    return out;
  }

  /** What every dataflow instance is doing (all stopped on a node that does not run them). */
  public Future<List<BridgeStatus>> statuses() {
    Promise<List<BridgeStatus>> done = Promise.promise();
    context.runOnContext(
        v -> {
          List<BridgeStatus> out = new ArrayList<>();
          running.forEach(b -> out.add(b.status()));
          done.complete(out);
        });
    return done.future();
  }

  /** Runs the dataflows when this node is the oldest member, stops them when it no longer is. */
  private void decide() {
    if (stopped) {
      return;
    }
    boolean oldest = membership.isOldest();
    if (oldest == owner) {
      return;
    }
    owner = oldest;
    if (oldest) {
      LOG.info(
          "bridge: this node is the oldest cluster member and runs the {} dataflows",
          running.size());
      running.forEach(DataflowBridge::start);
    } else {
      LOG.info("bridge: an older cluster member runs the dataflows now; stopping them here");
      running.forEach(DataflowBridge::stop);
    }
  }

  /** Stops every dataflow: remote connections closed, local sessions offline (and queueing). */
  public Future<Void> stopAll() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          stopped = true;
          List<Future<Void>> all = new ArrayList<>();
          for (DataflowBridge b : running) {
            all.add(b.stop());
          }
          Future.join(all).<Void>mapEmpty().onComplete(done);
        });
    return done.future();
  }

  @Override
  public void stop(Promise<Void> stopPromise) {
    stopAll().onComplete(stopPromise);
  }
}
