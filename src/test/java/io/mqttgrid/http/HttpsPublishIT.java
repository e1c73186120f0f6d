package io.mqttgrid.http;

import static io.mqttgrid.http.HttpApiClient.PUBLISH_VERSION;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.mqttgrid.testing.TlsListeners;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a server certificate configured, the same API is served over HTTPS on http.tls-port. */
class HttpsPublishIT {

  @TempDir Path dir;

  @Test
  void aPublishOverHttpsReachesSubscribers() throws Exception {
    TestTokens tokens = TestTokens.create();
    TlsListeners tls = TlsListeners.create(dir);
    int httpsPort = TestBroker.freePort();
    try (TestBroker broker =
            TestBroker.start(
                tls.brokerConfig(
                    "namespace.file",
                    tokens.writeNamespace(dir).toString(),
                    "http.tls-port",
                    String.valueOf(httpsPort)));
        HttpApiClient https =
            new HttpApiClient(
                "localhost",
                httpsPort,
                new WebClientOptions()
                    .setSsl(true)
                    .setTrustOptions(
                        new PemTrustOptions().addCertPath(tls.server.certFile.toString())))) {
      assertThat(broker.broker().httpTlsPort()).isEqualTo(httpsPort);
      Mqtt5BlockingClient sub = broker.v5("https-sub");
      Inbox<Mqtt5Publish> inbox =
          Inbox.connectAndSubscribe(sub, "devices/https/#", MqttQos.AT_LEAST_ONCE);
      HttpResponse<Buffer> r =
          https.publish(
              "topic=devices%2Fhttps%2F1&api-version=" + PUBLISH_VERSION,
              Map.of("Authorization", "Bearer " + tokens.token("backend")),
              "secure".getBytes(StandardCharsets.UTF_8));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
      assertThat(Inbox.text(inbox.next())).isEqualTo("secure");
      sub.disconnect();
    }
  }
}
