package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestCertificates;
import io.mqttgrid.testing.WebhookReceivers;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routing to an https webhook whose certificate chains to {@code routing.trusted-ca-file} (here a
 * self-signed certificate made in the test, which the JVM's CAs do not trust).
 */
@WithBroker(configMethod = "routeToAnHttpsReceiver")
class WebhookRoutingTlsIT {

  @TempDir static Path dir;
  static TestBroker broker;
  static HttpReceivers receivers;
  static final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();

  static Map<String, String> routeToAnHttpsReceiver() throws Exception {
    TestCertificates certs = TestCertificates.selfSignedServer(dir);
    receivers = new HttpReceivers();
    HttpServer receiver =
        receivers.listen(
            new HttpServerOptions()
                .setSsl(true)
                .setKeyCertOptions(
                    new PemKeyCertOptions()
                        .setCertPath(certs.certFile.toString())
                        .setKeyPath(certs.keyFile.toString())),
            WebhookReceivers.receiving(
                (req, body) -> {
                  received.add(body.toString());
                  req.response().setStatusCode(204).end();
                }));
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          routeDestination:
            webhook: { endpointUrl: "https://127.0.0.1:%d/events" }
        """
            .formatted(receiver.actualPort()));
    return Map.of(
        "namespace.file", file.toString(), "routing.trusted-ca-file", certs.certFile.toString());
  }

  @AfterAll
  static void stopReceiver() throws Exception {
    Closeables.closeAll(receivers);
  }

  @Test
  void eventsReachAnHttpsWebhookTrustedThroughTheCaFile() {
    Mqtt5BlockingClient c = broker.v5("tls-sensor");
    c.connect();
    try {
      c.publishWith()
          .topic("devices/tls/1")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("hello".getBytes(StandardCharsets.UTF_8))
          .send();
    } finally {
      c.disconnect();
    }
    Await.until(
        "the event reaches the receiver", Duration.ofSeconds(10), () -> !received.isEmpty());
    JsonObject event = new JsonObject(received.poll());
    assertThat(event.getString("subject")).isEqualTo("devices/tls/1");
    assertThat(event.getString("data_base64")).isEqualTo("aGVsbG8=");
  }
}
