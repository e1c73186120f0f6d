package io.mqttgrid.load.gatling;

import java.net.URI;

/**
 * Where and how every virtual user of a scenario connects: the broker address (a load balancer in front of
 * a cluster, or one node) and the timeouts that turn a stuck handshake into a failed connect.
 */
public record MqttSettings(String host, int port, long connectTimeoutMillis, int inboxCapacity) {

  public static final MqttSettings DEFAULT = new MqttSettings("127.0.0.1", 1883, 10_000, 10_000);

  /** {@code tcp://host:port} or {@code mqtt://host:port} (port 1883 when absent). */
  public MqttSettings withUrl(String url) {
    URI uri = URI.create(url);
    if (uri.getScheme() == null || !(uri.getScheme().equals("tcp") || uri.getScheme().equals("mqtt"))
        || uri.getHost() == null) {
      throw new IllegalArgumentException("MQTT url must look like tcp://host:port, not " + url);
    }
    return new MqttSettings(uri.getHost(), uri.getPort() < 0 ? 1883 : uri.getPort(), connectTimeoutMillis,
        inboxCapacity);
  }

  public MqttSettings withConnectTimeoutMillis(long millis) {
    return new MqttSettings(host, port, millis, inboxCapacity);
  }

  public MqttSettings withInboxCapacity(int capacity) {
    return new MqttSettings(host, port, connectTimeoutMillis, capacity);
  }
}
