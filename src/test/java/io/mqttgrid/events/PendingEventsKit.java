package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.hazelcast.HazelcastPendingEvents;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.PrometheusScrape;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the {@code RoutingPendingEvents*ClusterIT} share: a webhook that fails (503) until told to
 * deliver, whose validation handshake may be left unanswered; the namespace file routing to it; the
 * node settings that keep each failed message waiting for a retry far away, as a batch of its own;
 * and the conditions they wait for instead of sleeping: every batch kept in the cluster where a
 * node's death cannot take it (the Hazelcast map's entries a node holds, from its metrics), every
 * event delivered.
 */
final class PendingEventsKit implements AutoCloseable {

  static final Duration WAIT = Duration.ofSeconds(60);

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer receiver;

  /** While true the webhook answers POSTs 503. */
  volatile boolean failing = true;

  /** While false the webhook leaves the validation handshake unanswered: it hangs. */
  volatile boolean answersHandshakes = true;

  final AtomicInteger failedRequests = new AtomicInteger();
  final AtomicInteger unansweredHandshakes = new AtomicInteger();

  /** The subjects (MQTT topics) of the events delivered. */
  final Set<String> delivered = ConcurrentHashMap.newKeySet();

  PendingEventsKit() throws Exception {
    receiver =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  if (req.method() == HttpMethod.OPTIONS) {
                    if (answersHandshakes) {
                      req.response()
                          .putHeader(
                              "WebHook-Allowed-Origin", req.getHeader("WebHook-Request-Origin"))
                          .end();
                    } else {
                      unansweredHandshakes.incrementAndGet();
                    }
                    return;
                  }
                  req.body()
                      .onSuccess(
                          body -> {
                            if (failing) {
                              failedRequests.incrementAndGet();
                              req.response().setStatusCode(503).end();
                            } else {
                              delivered.add(new JsonObject(body.toString()).getString("subject"));
                              req.response().setStatusCode(200).end();
                            }
                          });
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
  }

  /** A namespace file in {@code dir} whose route destination is this webhook. */
  Path namespaceFile(Path dir) throws IOException {
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          routeDestination:
            webhook: { endpointUrl: "http://127.0.0.1:%d/events" }
        """
            .formatted(receiver.actualPort()));
    return file;
  }

  /**
   * The nodes' settings: routing from {@code namespaceFile}, each message's first failed request
   * retried ten minutes later (past the test), and as many requests in flight as messages (a
   * request waiting for its retry keeps its place: each message is a request, a batch, of its own);
   * then {@code more}.
   */
  static Map<String, String> settings(Path namespaceFile, int messages, String... more) {
    Map<String, String> s = new HashMap<>();
    s.put("namespace.file", namespaceFile.toString());
    s.put("routing.retry-delays-ms", "600000");
    s.put("routing.max-requests-in-flight", String.valueOf(messages));
    for (int i = 0; i < more.length; i += 2) {
      s.put(more[i], more[i + 1]);
    }
    return s;
  }

  /** Publishes {@code messages} QoS 1 messages to {@code <prefix>/m<i>}, each acknowledged. */
  static void publish(Mqtt5BlockingClient client, String prefix, int messages) {
    for (int i = 0; i < messages; i++) {
      client
          .publishWith()
          .topic(prefix + "/m" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(("m" + i).getBytes(StandardCharsets.UTF_8))
          .send();
    }
  }

  void awaitFirstAttemptsFailed(int messages) {
    Await.until(
        "every message's first attempt failed", WAIT, () -> failedRequests.get() >= messages);
  }

  /**
   * Until nodes {@code nodes} together hold at least {@code batches} batches waiting for a retry,
   * each with a backup on another node when they are several: what they hold then outlives the
   * death of any one of them (and, on the embedded state database, of all of them: the map writes
   * through before an entry is there). Batches are kept asynchronously after a failed attempt, or a
   * taking over.
   */
  static void awaitKept(ClusterFixture cluster, int batches, int... nodes) {
    Await.until(
        "nodes " + java.util.Arrays.toString(nodes) + " keep the " + batches + " batches",
        WAIT,
        () -> {
          double owned = 0;
          double backups = 0;
          for (int node : nodes) {
            PrometheusScrape m = PrometheusScrape.parse(metrics(cluster, node));
            owned += entries(m, "hazelcast_map_owned_entries");
            backups += entries(m, "hazelcast_map_backup_entries");
          }
          return owned >= batches && (nodes.length == 1 || backups >= batches);
        });
  }

  private static double entries(PrometheusScrape m, String meter) {
    return m.series(meter, "map", HazelcastPendingEvents.MAP).stream()
        .mapToDouble(PrometheusScrape.Sample::value)
        .sum();
  }

  /** Events node {@code node}'s routing holds ({@code mqttgrid_routing_buffered_events}). */
  static double buffered(ClusterFixture cluster, int node) throws Exception {
    return PrometheusScrape.parse(metrics(cluster, node)).sum("mqttgrid_routing_buffered_events");
  }

  private static String metrics(ClusterFixture cluster, int node) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + cluster.node(node).managementPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Until every message {@link #publish} sent to {@code prefix} is delivered. */
  void awaitDelivered(String what, String prefix, int messages) {
    Await.until(what, WAIT, () -> delivered.size() >= messages);
    for (int i = 0; i < messages; i++) {
      assertThat(delivered).contains(prefix + "/m" + i);
    }
  }

  @Override
  public void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
