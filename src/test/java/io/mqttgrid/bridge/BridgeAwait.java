package io.mqttgrid.bridge;

import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import java.time.Duration;

/** Waits for a broker's bridge dataflows, as its metrics show them. */
final class BridgeAwait {

  private BridgeAwait() {}

  /** Until every one of {@code flows} of {@code broker} has its remote connection up. */
  static void connected(TestBroker broker, String... flows) {
    Await.until(
        "bridge dataflows connected",
        Duration.ofSeconds(20),
        () -> {
          String metrics = broker.scrapeMetrics();
          for (String f : flows) {
            if (TestBroker.metricValue(
                    metrics, "mqttgrid_bridge_connected", "dataflow=\"" + f + "\"")
                < 1) {
              return false;
            }
          }
          return true;
        });
  }
}
