package io.mqttgrid.testing;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;

/**
 * A test broker's TLS listeners: a server certificate for 127.0.0.1 / localhost made in the test
 * ({@link TestCertificates#selfSignedServer}) and free ports for MQTT over TLS and over secure
 * WebSocket; the broker settings that open them, and clients that trust that certificate.
 */
public final class TlsListeners {

  public final TestCertificates server;
  public final int tlsPort;
  public final int wssPort;

  private TlsListeners(TestCertificates server, int tlsPort, int wssPort) {
    this.server = server;
    this.tlsPort = tlsPort;
    this.wssPort = wssPort;
  }

  /** The certificate and its key written into {@code dir}; two ports free now. */
  public static TlsListeners create(Path dir) throws Exception {
    return new TlsListeners(
        TestCertificates.selfSignedServer(dir), TestBroker.freePort(), TestBroker.freePort());
  }

  /**
   * The overrides for {@link TestBroker#start(Map)} (or a {@code @WithBroker} config method): the
   * certificate, its key and the two ports, then {@code more} (key, value, key, value...).
   */
  public Map<String, String> brokerConfig(String... more) {
    if (more.length % 2 != 0) {
      throw new IllegalArgumentException("keys and values in pairs: " + more.length + " strings");
    }
    Map<String, String> config = new HashMap<>();
    config.put("tls.cert-file", server.certFile.toString());
    config.put("tls.key-file", server.keyFile.toString());
    config.put("mqtt.tls-port", String.valueOf(tlsPort));
    config.put("mqtt.wss-port", String.valueOf(wssPort));
    for (int i = 0; i < more.length; i += 2) {
      config.put(more[i], more[i + 1]);
    }
    return config;
  }

  /**
   * A client (any MQTT version) for the TLS port, or the secure WebSocket port with {@code
   * websocket}, trusting the server certificate and showing {@code clientKeys} when not null.
   */
  public MqttClientBuilder client(String clientId, boolean websocket, KeyManagerFactory clientKeys)
      throws Exception {
    MqttClientBuilder builder =
        MqttClient.builder()
            .identifier(clientId)
            .serverHost("127.0.0.1")
            .serverPort(websocket ? wssPort : tlsPort)
            .sslConfig()
            .trustManagerFactory(server.trustManagerFactory())
            .keyManagerFactory(clientKeys)
            .applySslConfig();
    return websocket
        ? builder.webSocketConfig().serverPath("mqtt").applyWebSocketConfig()
        : builder;
  }
}
