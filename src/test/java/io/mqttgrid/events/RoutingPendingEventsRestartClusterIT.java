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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routed events waiting for a retry outlive a restart of the whole cluster when a state database
 * keeps them (docs/persistence.md): a single node on the embedded store accepts messages whose
 * webhook fails, keeps them for a retry ten minutes away, is killed (kill -9) and started again;
 * the restarted node takes the batches of its earlier run over and delivers them.
 */
class RoutingPendingEventsRestartClusterIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int MESSAGES = 10;

  @TempDir Path dir;

  /** While true the webhook answers 503. */
  private volatile boolean failing = true;

  private final AtomicInteger failedRequests = new AtomicInteger();
  private final Set<String> delivered = ConcurrentHashMap.newKeySet();

  @Test
  void eventsWaitingForARetryAreDeliveredAfterTheWholeClusterRestarts() throws Exception {
    Vertx receiverVertx = Vertx.vertx();
    try {
      HttpServer receiver =
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
      try (ClusterFixture node =
          ClusterFixture.start(
              RoutingPendingEventsRestartClusterIT.class.getSimpleName(),
              1,
              Map.of(
                  "cluster.mode",
                  "local",
                  "persistence.store",
                  "embedded",
                  "persistence.embedded.directory",
                  dir.resolve("data").toString(),
                  "namespace.file",
                  file.toString(),
                  "routing.retry-delays-ms",
                  "600000",
                  // a request waiting for its retry keeps its place: one place for each message
                  "routing.max-requests-in-flight",
                  String.valueOf(MESSAGES)))) {
        Mqtt5BlockingClient c = node.v5(1, "restart-publisher");
        c.connect();
        for (int i = 0; i < MESSAGES; i++) {
          c.publishWith()
              .topic("restart/m" + i)
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(("m" + i).getBytes(StandardCharsets.UTF_8))
              .send();
        }
        Await.until(
            "every message's first attempt failed", WAIT, () -> failedRequests.get() >= MESSAGES);
        // the batches are kept right after their failure, asynchronously (written through)
        Thread.sleep(1000);

        node.kill(1);
        failing = false;
        node.restart(1);
        node.awaitReady(1, Duration.ofSeconds(90));

        Await.until(
            "the restarted node delivers every event its earlier run was retrying",
            WAIT,
            () -> delivered.size() == MESSAGES);
        for (int i = 0; i < MESSAGES; i++) {
          assertThat(delivered).contains("restart/m" + i);
        }
      }
    } finally {
      receiverVertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
