package io.mqttgrid.load.gatling;

import java.net.URI;

/**
 * Where and how every virtual user of a scenario connects: the broker address (a load balancer in front of
 * a cluster, or one node), TLS, and the timeouts that turn a stuck handshake into a failed connect.
 */
public record MqttSettings(String host, int port, long connectTimeoutMillis, int inboxCapacity, MqttTls tls) {

  public static final MqttSettings DEFAULT = new MqttSettings("127.0.0.1", 1883, 10_000, 10_000, MqttTls.PLAIN);

  /**
   * {@code tcp://host:port} or {@code mqtt://host:port} (port 1883 when absent); over TLS {@code ssl://},
   * {@code tls://} or {@code mqtts://} (port 8883 when absent).
   */
  public MqttSettings withUrl(String url) {
    URI uri = URI.create(url);
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    boolean secure = scheme.equals("ssl") || scheme.equals("tls") || scheme.equals("mqtts");
    if (!(secure || scheme.equals("tcp") || scheme.equals("mqtt")) || uri.getHost() == null) {
      throw new IllegalArgumentException("MQTT url must look like tcp://host:port or ssl://host:port, not " + url);
    }
    return new MqttSettings(uri.getHost(), uri.getPort() < 0 ? (secure ? 8883 : 1883) : uri.getPort(),
        connectTimeoutMillis, inboxCapacity, tls.withEnabled(secure));
  }

  public MqttSettings withConnectTimeoutMillis(long millis) {
    return new MqttSettings(host, port, millis, inboxCapacity, tls);
  }

  public MqttSettings withInboxCapacity(int capacity) {
    return new MqttSettings(host, port, connectTimeoutMillis, capacity, tls);
  }

  public MqttSettings withTrustCertificateFile(String file) {
    return new MqttSettings(host, port, connectTimeoutMillis, inboxCapacity, tls.withTrustCertificateFile(file));
  }
}
