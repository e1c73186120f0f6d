package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import io.mqttgrid.testing.ClusterFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The namespace model is one model for the cluster: a change made through one node's management API
 * takes effect on the other nodes, for new operations, within a second.
 */
class NamespaceModelClusterIT {

  private static final String TOKEN = "cluster-admin-token-0123456789";
  private static ClusterFixture cluster;

  @BeforeAll
  static void startCluster() {
    cluster =
        ClusterFixture.start(
            NamespaceModelClusterIT.class.getSimpleName(),
            2,
            Map.of("management.token", TOKEN, "limits.max-session-expiry", "28800"));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The Session Expiry Interval node {@code i} grants to a v5 client asking for 8 hours. */
  private static long grantedExpiry(int i, String clientId) {
    ClusterFixture.Node node = cluster.node(i);
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(clientId)
            .serverHost(node.host())
            .serverPort(node.mqttPort())
            .buildBlocking();
    Mqtt5ConnAck ack = c.connectWith().cleanStart(true).sessionExpiryInterval(28800).send();
    c.disconnect();
    OptionalLong granted = ack.getSessionExpiryInterval();
    return granted.isPresent() ? granted.getAsLong() : 28800;
  }

  @Test
  void aSettingChangedOnOneNodeAppliesOnTheOtherWithinASecond() throws Exception {
    assertThat(grantedExpiry(2, "before-change")).isEqualTo(3600);
    HttpResponse<String> put =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://"
                                + cluster.node(1).host()
                                + ":"
                                + cluster.node(1).managementPort()
                                + "/namespaces/mqttgrid"))
                    .header("Authorization", "Bearer " + TOKEN)
                    .header("Content-Type", "application/json")
                    .PUT(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"properties\": {\"topicSpacesConfiguration\": {\"maximumSessionExpiryInHours\": 2}}}"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    long changedAt = System.nanoTime();
    long granted;
    int attempt = 0;
    do {
      granted = grantedExpiry(2, "after-change-" + attempt++);
    } while (granted != 7200 && System.nanoTime() - changedAt < Duration.ofSeconds(5).toNanos());
    long tookMillis = (System.nanoTime() - changedAt) / 1_000_000;
    assertThat(granted).isEqualTo(7200);
    System.out.printf(
        "[NamespaceModelClusterIT] a settings change reached the other node after <= %d ms%n",
        tookMillis);
  }
}
