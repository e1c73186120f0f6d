package io.mqttgrid.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.TestBroker;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** /health/ready of a single node: what a load balancer and an orchestrator read. */
class HealthIT {

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void readinessNamesTheNodeAndCountsItsOneMemberCluster() throws Exception {
    try (TestBroker broker = TestBroker.start(Map.of("node.id", "solo-health"))) {
      HttpResponse<String> ready = get(broker.httpPort(), "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(ready.body()).getMap())
          .containsExactlyInAnyOrderEntriesOf(
              Map.of("status", "UP", "node", "solo-health", "members", 1));
      assertThat(get(broker.httpPort(), "/health/live").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void splitBrainProtectionDoesNotApplyToTheLocalMode() throws Exception {
    // local.yaml defines no protection: a single node must not wait for peers that never come
    try (TestBroker broker =
        TestBroker.start(Map.of("cluster.split-brain-protection.enabled", "true"))) {
      HttpResponse<String> ready = get(broker.httpPort(), "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(ready.body()).getInteger("members")).isEqualTo(1);
      var client = broker.v5("local-with-protection-key");
      assertThat(client.connect().getReasonCode().isError()).isFalse();
      client.disconnect();
    }
  }
}
