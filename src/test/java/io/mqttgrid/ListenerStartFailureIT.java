package io.mqttgrid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.mqttgrid.testing.TestBroker;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A port that is already taken stops the start with a message naming the listener and its address,
 * which Main prints as its one line: "Address already in use" alone does not say which of a node's
 * six ports it was.
 */
class ListenerStartFailureIT {

  @Test
  void aTakenManagementPortIsNamedInTheStartFailure() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      String message = startFailure(Map.of("management.port", String.valueOf(port)));
      assertThat(message)
          .contains("management")
          .contains("127.0.0.1:" + port)
          .contains("Address already in use");
    }
  }

  @Test
  void aTakenMqttPortIsNamedInTheStartFailure() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      String message = startFailure(Map.of("mqtt.port", String.valueOf(port)));
      assertThat(message).contains("MQTT tcp").contains("127.0.0.1:" + port);
    }
  }

  /**
   * The message Main logs when {@link Broker#start()} fails with {@code overrides} on free loopback
   * ports.
   */
  private static String startFailure(Map<String, String> overrides) throws Exception {
    Map<String, String> cfg = new HashMap<>();
    cfg.put("mqtt.host", "127.0.0.1");
    cfg.put("mqtt.port", String.valueOf(TestBroker.freePort()));
    cfg.put("mqtt.websocket-port", String.valueOf(TestBroker.freePort()));
    cfg.put("http.host", "127.0.0.1");
    cfg.put("http.port", String.valueOf(TestBroker.freePort()));
    cfg.put("management.host", "127.0.0.1");
    cfg.put("management.port", String.valueOf(TestBroker.freePort()));
    cfg.put("mqtt.instances", "1");
    cfg.put("http.instances", "1");
    cfg.put("cluster.port", String.valueOf(5701 + (int) (Math.random() * 2000)));
    // in memory, as TestBroker: no ./data file from a test
    cfg.put("persistence.store", "none");
    cfg.putAll(overrides);
    Broker broker = new Broker(BrokerConfig.of(cfg));
    try {
      Throwable failure =
          catchThrowable(
              () ->
                  broker
                      .start()
                      .toCompletionStage()
                      .toCompletableFuture()
                      .get(60, TimeUnit.SECONDS));
      assertThat(failure).isInstanceOf(ExecutionException.class);
      return failure.getCause().getMessage();
    } finally {
      broker.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }
}
