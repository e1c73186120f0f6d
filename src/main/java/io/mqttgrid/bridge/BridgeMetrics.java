package io.mqttgrid.bridge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.mqttgrid.bridge.BridgeFile.Dataflow;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bridge's meters, per dataflow: messages forwarded (tagged with the direction), messages
 * dropped (tagged with the reason), and whether its remote connection is up.
 */
final class BridgeMetrics {

  /** The target template named a topic level the message's topic does not have. */
  static final String DROP_UNRESOLVED_TARGET = "unresolved-target";

  /** The remote broker answered the publish with an error reason code. */
  static final String DROP_REFUSED_BY_REMOTE = "refused-by-remote";

  /** The message would go back to where it came from (see {@link LoopGuard}). */
  static final String DROP_LOOP = "loop";

  /** This broker's publish pipeline refused the message ({@code refused-<cause>}). */
  static final String DROP_REFUSED_LOCALLY = "refused-";

  private final MeterRegistry registry;
  private final Map<String, Flow> flows = new HashMap<>();

  BridgeMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The meters of one dataflow. */
  final class Flow {
    private final Dataflow flow;
    private final Counter forwarded;
    private final Timer latency;
    private final AtomicInteger connected = new AtomicInteger();

    /** Messages the dataflow's sessions here hold; NaN where this node does not run it. */
    private volatile double queued = Double.NaN;

    Flow(Dataflow flow) {
      this.flow = flow;
      this.forwarded =
          Counter.builder("mqttgrid.bridge.messages.forwarded")
              .description(
                  "Messages a bridge dataflow delivered to its target and had acknowledged there")
              .tag("dataflow", flow.name())
              .tag("direction", direction())
              .register(registry);
      this.latency =
          Timer.builder("mqttgrid.bridge.forward.latency")
              .description(
                  "From a message's arrival at the dataflow's source side (accepted by this broker,"
                      + " or received from the remote) until its target acknowledged it; local to"
                      + " remote it includes the time it waited for the remote")
              .tag("dataflow", flow.name())
              .tag("direction", direction())
              .publishPercentiles(0.5, 0.99)
              .register(registry);
      if (flow.direction() == BridgeFile.Direction.LOCAL_TO_REMOTE) {
        Gauge.builder("mqttgrid.bridge.queued.messages", this, f -> f.queued)
            .description(
                "Messages the dataflow's sessions at this broker hold for the remote (waiting, or"
                    + " sent and not yet acknowledged), read from the session store every"
                    + " bridge.watch-interval; NaN on a node that does not run the bridges")
            .tag("dataflow", flow.name())
            .tag("direction", direction())
            .register(registry);
      }
      Gauge.builder("mqttgrid.bridge.connected", connected, AtomicInteger::get)
          .description(
              "Instances of the dataflow whose connection to the remote broker is up (1 for a"
                  + " single instance that is connected)")
          .tag("dataflow", flow.name())
          .tag("direction", direction())
          .register(registry);
    }

    private String direction() {
      return flow.direction().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    void forwarded(long latencyMillis) {
      forwarded.increment();
      latency.record(Math.max(0, latencyMillis), TimeUnit.MILLISECONDS);
    }

    void dropped(String reason) {
      Counter.builder("mqttgrid.bridge.messages.dropped")
          .description("Messages a bridge dataflow dropped, by reason")
          .tag("dataflow", flow.name())
          .tag("direction", direction())
          .tag("reason", reason)
          .register(registry)
          .increment();
    }

    /** What the dataflow's sessions here hold now; NaN: not run on this node. */
    void queued(double messages) {
      queued = messages;
    }

    /** One instance of the dataflow connected ({@code up}) or lost its connection. */
    void connected(boolean up) {
      connected.addAndGet(up ? 1 : -1);
    }
  }

  /**
   * The meters of {@code flow}: one set per dataflow name and direction, shared by its instances
   * and kept across a reload of the bridge file (a gauge registered again would stay bound to the
   * first one's value).
   */
  synchronized Flow flow(Dataflow flow) {
    return flows.computeIfAbsent(flow.name() + " " + flow.direction(), k -> new Flow(flow));
  }
}
