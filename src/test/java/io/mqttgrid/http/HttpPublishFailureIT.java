package io.mqttgrid.http;

import static io.mqttgrid.http.HttpApiClient.PUBLISH_VERSION;
import static io.mqttgrid.http.HttpApiClient.errorCode;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publish the broker accepted but could not carry out is a 500 with a JSON error, not a hang or a
 * 204.
 */
class HttpPublishFailureIT {

  @TempDir Path dir;

  @Test
  void aRetainedPublishOnANodeWhoseClusterMemberStoppedIsAnInternalError() throws Exception {
    TestTokens tokens = TestTokens.create();
    TestBroker broker =
        TestBroker.start(Map.of("namespace.file", tokens.writeNamespace(dir).toString()));
    try (HttpApiClient http = new HttpApiClient("127.0.0.1", broker.httpPort())) {
      Map<String, String> headers =
          Map.of("Authorization", "Bearer " + tokens.token("backend"), "mqtt-retain", "1");
      String query = "topic=retained%2Ffailure&api-version=" + PUBLISH_VERSION;
      assertThat(
              http.publish(query, headers, "before".getBytes(StandardCharsets.UTF_8)).statusCode())
          .isEqualTo(204);

      // the Hazelcast member holding the retained messages goes away under the running HTTP API
      broker.broker().hazelcast().getLifecycleService().terminate();
      HttpResponse<Buffer> r =
          http.publish(query, headers, "after".getBytes(StandardCharsets.UTF_8));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(500);
      assertThat(errorCode(r)).isEqualTo("InternalError");
      assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    } finally {
      try {
        broker.close();
      } catch (IllegalStateException alreadyBroken) {
        // its cluster member is gone: stopping may not finish cleanly
      }
    }
  }

  @Test
  void aPublishThatNoSubscriberCouldKeepIsA507() throws Exception {
    TestTokens tokens = TestTokens.create();
    try (TestBroker broker =
        TestBroker.start(
            Map.of(
                "namespace.file",
                tokens.writeNamespace(dir).toString(),
                "session.max-queued-messages",
                "1"))) {
      Mqtt5BlockingClient sub = broker.v5("http-full-sub");
      sub.connectWith().sessionExpiryInterval(300).send();
      sub.subscribeWith().topicFilter("devices/full/#").qos(MqttQos.AT_LEAST_ONCE).send();
      sub.disconnect();
      Await.until(
          "the subscriber's session offline",
          Duration.ofSeconds(10),
          () -> broker.broker().sessions().onlineCount() == 0);
      try (HttpApiClient http = new HttpApiClient("127.0.0.1", broker.httpPort())) {
        Map<String, String> headers = Map.of("Authorization", "Bearer " + tokens.token("backend"));
        String query = "topic=devices%2Ffull%2F1&api-version=" + PUBLISH_VERSION;
        assertThat(http.publish(query, headers, bytes("kept")).statusCode()).isEqualTo(204);

        HttpResponse<Buffer> r = http.publish(query, headers, bytes("no room"));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(507);
        assertThat(errorCode(r)).isEqualTo("SubscriberQueueFull");
        assertThat(r.getHeader("Content-Type")).startsWith("application/json");
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
