package io.mqttgrid.testing;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import io.mqttgrid.Broker;
import io.mqttgrid.BrokerConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real broker node for integration tests: embedded Hazelcast, listeners on free loopback ports.
 * Start one per test class (or per test where the test needs its own limits) and close it.
 */
public final class TestBroker implements AutoCloseable {

  private static final java.util.Set<Integer> GIVEN_PORTS =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final Broker broker;
  private final int mqttPort;
  private final int websocketPort;
  private final int httpPort;

  private TestBroker(Broker broker, int mqttPort, int websocketPort, int httpPort) {
    this.broker = broker;
    this.mqttPort = mqttPort;
    this.websocketPort = websocketPort;
    this.httpPort = httpPort;
  }

  public static TestBroker start() {
    return start(Map.of());
  }

  /**
   * Starts a node with the defaults, free ports, and {@code overrides} (keys as in
   * config/mqttgrid.yaml). A port found free can be taken by another process before the node binds
   * it (other test JVMs run beside this one): a start that fails to bind is tried again with other
   * ports.
   */
  public static TestBroker start(Map<String, String> overrides) {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(overrides);
      } catch (IllegalStateException e) {
        if (attempt >= 3 || !bindFailure(e)) {
          throw e;
        }
      }
    }
  }

  private static boolean bindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException) {
        return true;
      }
    }
    return false;
  }

  private static TestBroker startOnce(Map<String, String> overrides) {
    Map<String, String> cfg = new HashMap<>();
    int mqtt = freePort();
    int ws = freePort();
    int http = freePort();
    cfg.put("mqtt.host", "127.0.0.1");
    cfg.put("mqtt.port", String.valueOf(mqtt));
    cfg.put("mqtt.websocket-port", String.valueOf(ws));
    cfg.put("http.host", "127.0.0.1");
    cfg.put("http.port", String.valueOf(http));
    cfg.put("http.tls-port", String.valueOf(freePort()));
    cfg.put("management.host", "127.0.0.1");
    cfg.put("management.port", String.valueOf(freePort()));
    cfg.put("mqtt.instances", "2");
    cfg.put("cluster.port", String.valueOf(5701 + (int) (Math.random() * 2000)));
    // in memory, as before persistence: brokers of one test JVM must not share the default ./data
    // file
    // (a test that wants persistence sets persistence.* itself)
    cfg.put("persistence.store", "none");
    cfg.putAll(overrides);
    Broker broker = new Broker(BrokerConfig.of(cfg));
    try {
      broker.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      try {
        broker.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception stopFailed) {
        e.addSuppressed(stopFailed);
      }
      throw new IllegalStateException("test broker did not start", e);
    }
    return new TestBroker(
        broker,
        Integer.parseInt(cfg.get("mqtt.port")),
        Integer.parseInt(cfg.get("mqtt.websocket-port")),
        Integer.parseInt(cfg.get("http.port")));
  }

  public Broker broker() {
    return broker;
  }

  /** The management port (namespace REST API, /metrics, health). */
  public int managementPort() {
    return broker.managementPort();
  }

  public int mqttPort() {
    return mqttPort;
  }

  public int websocketPort() {
    return websocketPort;
  }

  public int httpPort() {
    return httpPort;
  }

  /** An MQTT 5 client (not yet connected) for this broker. */
  public Mqtt5BlockingClient v5(String clientId) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(clientId)
        .serverHost("127.0.0.1")
        .serverPort(mqttPort)
        .buildBlocking();
  }

  /** An MQTT 3.1.1 client (not yet connected) for this broker. */
  public Mqtt3BlockingClient v3(String clientId) {
    return MqttClient.builder()
        .useMqttVersion3()
        .identifier(clientId)
        .serverHost("127.0.0.1")
        .serverPort(mqttPort)
        .buildBlocking();
  }

  /**
   * Publishes {@code json} once to {@code topic} as an MQTT 5 client of its own, at QoS 1 and
   * marked UTF-8 (what routing sends on as JSON data), and disconnects.
   */
  public void publishJson(String clientId, String topic, String json) {
    Mqtt5BlockingClient c = v5(clientId);
    c.connect();
    try {
      c.publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
          .payload(json.getBytes(StandardCharsets.UTF_8))
          .send();
    } finally {
      c.disconnect();
    }
  }

  /** Graceful stop, as on SIGTERM. */
  @Override
  public void close() {
    try {
      broker.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("test broker did not stop", e);
    }
  }

  /**
   * A port free now and never handed out before in this JVM: two calls in a row may otherwise get
   * the same port from the OS (the first socket is closed again), and two listeners of one broker
   * on one port share it.
   */
  public static int freePort() {
    for (int attempt = 0; attempt < 200; attempt++) {
      try (ServerSocket s = new ServerSocket(0)) {
        s.setReuseAddress(true);
        if (GIVEN_PORTS.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("no free port that was not handed out already");
  }

  /** The node's Prometheus exposition, from its management port. */
  public String scrapeMetrics() throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + managementPort() + "/metrics"))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("/metrics answered " + response.statusCode());
    }
    return response.body();
  }

  /**
   * The value of the series {@code name} whose labels include {@code label}, in a Prometheus
   * exposition; 0 when there is none.
   */
  public static double metricValue(String metrics, String name, String label) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)}\\s+(\\S+)$").matcher(metrics);
    while (m.find()) {
      if (m.group(1).contains(label)) {
        return Double.parseDouble(m.group(2));
      }
    }
    return 0;
  }
}
