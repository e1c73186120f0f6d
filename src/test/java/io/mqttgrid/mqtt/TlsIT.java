package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TlsListeners;
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
  static TlsListeners tls;
  static TestBroker broker;

  /** The broker's overrides (see @WithBroker): written here, before the broker starts. */
  static Map<String, String> brokerConfig() throws Exception {
    tls = TlsListeners.create(dir);
    return tls.brokerConfig();
  }

  @Test
  void messagesFlowBetweenTlsSecureWebSocketAndPlainClients() throws Exception {
    Mqtt5BlockingClient tlsSub =
        tls.client("tls-sub", false, null).useMqttVersion5().buildBlocking();
    tlsSub.connect();
    Mqtt5BlockingClient wss = tls.client("wss-sub", true, null).useMqttVersion5().buildBlocking();
    wss.connect();
    tlsSub.subscribeWith().topicFilter("secure/#").qos(MqttQos.AT_LEAST_ONCE).send();
    wss.subscribeWith().topicFilter("secure/#").qos(MqttQos.AT_LEAST_ONCE).send();
    try (var tlsIn = tlsSub.publishes(MqttGlobalPublishFilter.ALL);
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
    tlsSub.disconnect();
    wss.disconnect();
  }

  @Test
  void aClientThatDoesNotTrustTheCertificateCannotConnect() {
    Mqtt5BlockingClient untrusting =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("untrusting")
            .serverHost("127.0.0.1")
            .serverPort(tls.tlsPort)
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
            .serverPort(tls.tlsPort)
            .buildBlocking();
    assertThatThrownBy(plainOnTls::connect).isInstanceOf(RuntimeException.class);
  }
}
