package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.cloudevents.core.builder.CloudEventBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttgrid.access.RoutingSettings;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.WebhookReceivers;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Events offered to routing from threads that are not event loops but run tasks of an event-loop
 * context: a worker running {@code vertx.executeBlocking} (where the survivor of a node that died
 * reports that node's connections lost), a Hazelcast thread. Real Vert.x, a real HTTP receiver.
 */
class WebhookRoutingOffLoopIT {

  private static final int EVENTS = 3000;

  Vertx vertx;
  HttpServer receiver;
  WebhookRouting routing;
  final Set<String> received = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    receiver =
        vertx
            .createHttpServer()
            .requestHandler(WebhookReceivers.collecting(e -> received.add(e.getString("id"))))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    routing =
        new WebhookRouting(
            vertx,
            "offloop",
            new WebhookRouting.Options(EVENTS * 2, 4, List.of(200L), 5000, ""),
            new SimpleMeterRegistry());
    routing.update(
        new RoutingSettings(
            new RoutingSettings.Destination(
                "http://127.0.0.1:" + receiver.actualPort() + "/events", 100),
            List.of(),
            true,
            false));
  }

  @AfterEach
  void stop() throws Exception {
    if (routing != null) {
      routing.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void everyEventOfferedFromABlockingTaskArrives() throws Exception {
    // as Broker wires the survivor's report of a departed node's connections: executeBlocking
    // called from a thread that is not Vert.x's, so the task's context is an event-loop context
    // while the task runs on a worker thread
    vertx
        .executeBlocking(
            () -> {
              for (int i = 0; i < EVENTS; i++) {
                routing.offer(
                    CloudEventBuilder.v1()
                        .withId("lost-" + i)
                        .withSource(URI.create("/namespaces/offloop"))
                        .withType(ClientLifecycleEvents.SESSION_DISCONNECTED)
                        .withSubject("clients/c" + i + "/sessions/c" + i)
                        .build());
              }
              return null;
            },
            false)
        .await(10, TimeUnit.SECONDS);
    Await.until(
        EVENTS + " events at the receiver",
        Duration.ofSeconds(20),
        () -> received.size() == EVENTS);
    assertThat(received).hasSize(EVENTS);
  }
}
