package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestCertificates;
import io.mqttgrid.testing.WithBroker;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MQTT over TLS and over secure WebSocket with a real certificate made by the test. */
@WithBroker(configMethod = "brokerConfig")
class TlsIT {

  @TempDir static Path dir;
  static TestCertificates certs;
  static TestBroker broker;
  static int tlsPort;
  static int wssPort;

  /** The broker's overrides (see @WithBroker): written here, before the broker starts. */
  static Map<String, String> brokerConfig() throws Exception {
    certs = TestCertificates.selfSignedServer(dir);
    tlsPort = TestBroker.freePort();
    wssPort = TestBroker.freePort();
    return Map.of(
        "tls.cert-file",
        certs.certFile.toString(),
        "tls.key-file",
        certs.keyFile.toString(),
        "mqtt.tls-port",
        String.valueOf(tlsPort),
        "mqtt.wss-port",
        String.valueOf(wssPort));
  }

  private Mqtt5BlockingClient tlsClient(String id, int port, boolean websocket) throws Exception {
    var builder =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(port)
            .sslConfig()
            .trustManagerFactory(certs.trustManagerFactory())
            .applySslConfig();
    if (websocket) {
      builder = builder.webSocketConfig().serverPath("mqtt").applyWebSocketConfig();
    }
    return builder.buildBlocking();
  }

  @Test
  void messagesFlowBetweenTlsSecureWebSocketAndPlainClients() throws Exception {
    Mqtt5BlockingClient tls = tlsClient("tls-sub", tlsPort, false);
    tls.connect();
    Mqtt5BlockingClient wss = tlsClient("wss-sub", wssPort, true);
    wss.connect();
    tls.subscribeWith().topicFilter("secure/#").qos(MqttQos.AT_LEAST_ONCE).send();
    wss.subscribeWith().topicFilter("secure/#").qos(MqttQos.AT_LEAST_ONCE).send();
    try (var tlsIn = tls.publishes(MqttGlobalPublishFilter.ALL);
        var wssIn = wss.publishes(MqttGlobalPublishFilter.ALL)) {
      Mqtt5BlockingClient plain = broker.v5("plain-pub");
      plain.connect();
      plain
          .publishWith()
          .topic("secure/a")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("over tls".getBytes())
          .send();
      Optional<Mqtt5Publish> a = tlsIn.receive(5, TimeUnit.SECONDS);
      Optional<Mqtt5Publish> b = wssIn.receive(5, TimeUnit.SECONDS);
      assertThat(a).isPresent();
      assertThat(b).isPresent();
      assertThat(new String(a.get().getPayloadAsBytes())).isEqualTo("over tls");
      assertThat(new String(b.get().getPayloadAsBytes())).isEqualTo("over tls");
      plain.disconnect();
    }
    tls.disconnect();
    wss.disconnect();
  }

  @Test
  void aClientThatDoesNotTrustTheCertificateCannotConnect() {
    Mqtt5BlockingClient untrusting =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("untrusting")
            .serverHost("127.0.0.1")
            .serverPort(tlsPort)
            .sslWithDefaultConfig()
            .buildBlocking();
    assertThatThrownBy(untrusting::connect).isInstanceOf(RuntimeException.class);
  }

  @Test
  void plainMqttOnTheTlsPortIsNotAccepted() {
    Mqtt5BlockingClient plainOnTls =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("plain-on-tls")
            .serverHost("127.0.0.1")
            .serverPort(tlsPort)
            .buildBlocking();
    assertThatThrownBy(plainOnTls::connect).isInstanceOf(RuntimeException.class);
  }
}
