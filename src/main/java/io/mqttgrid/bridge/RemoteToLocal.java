package io.mqttgrid.bridge;

import io.mqttgrid.bridge.BridgeFile.Dataflow;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.publish.PublishSource;
import io.mqttgrid.routing.QueueFullException;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A message from the remote broker into this one: its target topic, its QoS and retain flag as the
 * endpoint allows, the local publish through the {@link PublishPipeline}, and the remote's PUBACK
 * only once that publish completed (every matching persistent session, and the retained store, hold
 * the message): until then the message stays in the bridge's session at the remote, which sends it
 * again after a reconnect.
 */
final class RemoteToLocal {

  /** What became of a message, for the dataflow's meters, log and connection. */
  interface Outcome {
    /** Published here and acknowledged to the remote, {@code latencyMillis} after it arrived. */
    void forwarded(long latencyMillis);

    /** Acknowledged to the remote but not published: sending it again would not help. */
    void dropped(String reason, String warning);

    /** Not stored here, and not acknowledged: the remote must send it again. */
    void failed(String target, Throwable cause);
  }

  private final Dataflow flow;
  private final PublishPipeline pipeline;
  private final LoopGuard loops;
  private final PublishSource source;

  RemoteToLocal(Dataflow flow, PublishPipeline pipeline, LoopGuard loops, PublishSource source) {
    this.flow = flow;
    this.pipeline = pipeline;
    this.loops = loops;
    this.source = source;
  }

  void forward(RemoteClient.Incoming m, Outcome outcome) {
    long arrivedNanos = System.nanoTime();
    String target = flow.target().resolve(m.topic());
    if (target == null) {
      m.acknowledge().run();
      outcome.dropped(
          BridgeMetrics.DROP_UNRESOLVED_TARGET,
          "message on '"
              + m.topic()
              + "' dropped: target '"
              + flow.target()
              + "' names a level that topic does not have");
      return;
    }
    if (loops.wouldGoRound(flow.remote(), m.userProperties(), target)) {
      m.acknowledge().run();
      outcome.dropped(
          BridgeMetrics.DROP_LOOP,
          "message from remote topic '"
              + m.topic()
              + "' dropped: this broker's bridge sent it there and would send it there again");
      return;
    }
    int qos = Math.min(m.qos(), flow.remote().qos());
    boolean retain = flow.remote().retain() == BridgeFile.Retain.KEEP && m.retain();
    PublishPipeline.Result result =
        pipeline.publish(
            source,
            m.request(
                target,
                qos,
                retain,
                flow.responseTopic(m.responseTopic()),
                CloudEventAttributes.of(
                    flow,
                    m.userProperties(),
                    target,
                    UUID.randomUUID().toString(),
                    System.currentTimeMillis())));
    if (result instanceof PublishPipeline.Refused refused) {
      m.acknowledge().run();
      outcome.dropped(
          BridgeMetrics.DROP_REFUSED_LOCALLY
              + refused.cause().name().toLowerCase(Locale.ROOT).replace('_', '-'),
          "message from remote topic '" + m.topic() + "' refused here: " + refused.detail());
      return;
    }
    ((PublishPipeline.Routed) result)
        .reached()
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                m.acknowledge().run();
                outcome.forwarded(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - arrivedNanos));
              } else if (ar.cause() instanceof QueueFullException) {
                // sending it again would meet the same full queues: the remote gets its PUBACK
                m.acknowledge().run();
                outcome.dropped(
                    BridgeMetrics.DROP_REFUSED_LOCALLY + "subscribers-full",
                    "message from remote topic '"
                        + m.topic()
                        + "' kept by no local subscriber: their queues are full");
              } else {
                outcome.failed(target, ar.cause());
              }
            });
  }
}
