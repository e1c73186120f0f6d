package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.WebhookReceivers;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routed events waiting for a retry outlive the node that held them (docs/routing.md): node 1
 * accepts messages whose webhook fails, keeps them for a retry ten minutes away, and is killed
 * (kill -9); node 2, the survivor, takes them over from the cluster and delivers them.
 */
class RoutingPendingEventsClusterIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int MESSAGES = 10;

  @TempDir static Path dir;
  static ClusterFixture cluster;
  static Vertx receiverVertx;
  static HttpServer receiver;

  /** While true the webhook answers 503. */
  static volatile boolean failing = true;

  static final AtomicInteger failedRequests = new AtomicInteger();
  static final Set<String> delivered = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void startReceiverAndCluster() throws Exception {
    receiverVertx = Vertx.vertx();
    receiver =
        receiverVertx
            .createHttpServer()
            .requestHandler(
                WebhookReceivers.answeringHandshake(
                    req ->
                        req.body()
                            .onSuccess(
                                body -> {
                                  if (failing) {
                                    failedRequests.incrementAndGet();
                                    req.response().setStatusCode(503).end();
                                  } else {
                                    delivered.add(
                                        new JsonObject(body.toString()).getString("subject"));
                                    req.response().setStatusCode(200).end();
                                  }
                                })))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          routeDestination:
            webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
        """
            .formatted(receiver.actualPort()));
    cluster =
        ClusterFixture.start(
            RoutingPendingEventsClusterIT.class.getSimpleName(),
            2,
            Map.of(
                "namespace.file",
                file.toString(),
                "namespace.name",
                "clusterns",
                "routing.retry-delays-ms",
                "600000",
                // a request waiting for its retry keeps its place: one place for each message
                "routing.max-requests-in-flight",
                String.valueOf(MESSAGES)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (receiverVertx != null) {
      receiverVertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void eventsWaitingForARetryOnANodeThatDiesAreDeliveredByTheSurvivor() throws Exception {
    Mqtt5BlockingClient c = cluster.v5(1, "pending-publisher");
    c.connect();
    for (int i = 0; i < MESSAGES; i++) {
      c.publishWith()
          .topic("pending/m" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(("m" + i).getBytes(StandardCharsets.UTF_8))
          .send();
    }
    Await.until(
        "every message's first attempt failed", WAIT, () -> failedRequests.get() >= MESSAGES);
    // the batches are put in the cluster right after their failure, asynchronously
    Thread.sleep(1000);
    failing = false;
    assertThat(delivered).isEmpty();

    cluster.kill(1);
    cluster.awaitMembers(1, WAIT, 2);

    Await.until(
        "the survivor delivers every event node 1 was retrying",
        WAIT,
        () -> delivered.size() == MESSAGES);
    for (int i = 0; i < MESSAGES; i++) {
      assertThat(delivered).contains("pending/m" + i);
    }
  }
}
