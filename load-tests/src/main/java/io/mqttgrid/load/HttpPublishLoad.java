package io.mqttgrid.load;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HTTP publishes per second through a load balancer in front of a cluster, with wrk (Debian package
 * {@code wrk}) as the load generator: wrk keeps its connections open, so a per-request HTTP balancer spreads
 * the publishes over the nodes. Run by {@code load-tests/scripts/cluster.sh HttpPublishLoad [seconds
 * [connections [qos]]]}, which starts the 3 nodes, HAProxy and a local token issuer and passes:
 *
 * <ul>
 *   <li>{@code -Dhttp.url}, {@code -Dmqtt.url}: the balancer's HTTP and MQTT addresses;</li>
 *   <li>{@code MQTTGRID_HTTP_TOKEN}: the publisher's bearer token; {@code MQTTGRID_LOAD_MQTT_TOKEN}: the
 *       subscriber's (CUSTOM-JWT), none for an anonymous subscriber.</li>
 * </ul>
 *
 * One MQTT 5 subscriber to the published topic counts what arrives; wrk's report and that count are printed.
 */
public final class HttpPublishLoad {

  static final String TOPIC = "loadtest/http-wrk/t1";

  private HttpPublishLoad() {
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 12;
    int qos = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    URI http = URI.create(System.getProperty("http.url", "http://127.0.0.1:21088"));
    URI mqtt = URI.create(System.getProperty("mqtt.url", "tcp://127.0.0.1:21883"));
    String httpToken = System.getenv("MQTTGRID_HTTP_TOKEN");
    String mqttToken = System.getenv("MQTTGRID_LOAD_MQTT_TOKEN");
    String url = http + "/mqtt/messages?topic=" + TOPIC.replace("/", "%2F") + "&api-version=2025-02-15-preview";

    AtomicLong received = new AtomicLong();
    Mqtt5ClientBuilder builder = MqttClient.builder().useMqttVersion5().identifier("http-wrk-sub")
        .serverHost(mqtt.getHost()).serverPort(mqtt.getPort());
    if (mqttToken != null && !mqttToken.isEmpty()) {
      builder.simpleAuth().username("CUSTOM-JWT").password(mqttToken.getBytes(StandardCharsets.UTF_8))
          .applySimpleAuth();
    }
    Mqtt5AsyncClient sub = builder.buildAsync();
    sub.publishes(MqttGlobalPublishFilter.ALL, p -> received.incrementAndGet());
    sub.connect().get(10, TimeUnit.SECONDS);
    sub.subscribeWith().topicFilter(TOPIC).qos(MqttQos.AT_LEAST_ONCE).send().get(10, TimeUnit.SECONDS);
    awaitRoute(url, httpToken, received);
    long before = settled(received); // probes still on their way are not wrk's

    Path script = Files.createTempFile("http-publish-load", ".lua");
    Files.writeString(script, """
        wrk.method = "POST"
        wrk.body = "{\\"temperature\\": 21.5, \\"unit\\": \\"C\\"}"
        %s
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["mqtt-qos"] = "%d"
        wrk.headers["mqtt-user-properties"] = "[{\\"source\\":\\"wrk\\"}]"
        """.formatted(httpToken == null ? "" : "wrk.headers[\"Authorization\"] = \"Bearer " + httpToken + "\"",
        qos));
    List<String> command = new ArrayList<>(List.of("wrk", "-t2", "-c" + connections, "-d" + seconds + "s",
        "--latency", "-s", script.toString(), url));
    System.out.println("running: " + String.join(" ", command));
    try {
      int exit = new ProcessBuilder(command).inheritIO().start().waitFor();
      // the last acknowledged publishes are still on their way to the subscriber
      System.out.printf("wrk exit %d; the subscriber received %d messages%n", exit, settled(received) - before);
    } catch (IOException e) {
      System.out.println("cannot run wrk (apt-get install wrk): " + e.getMessage());
    } finally {
      sub.disconnect().get(10, TimeUnit.SECONDS);
      Files.deleteIfExists(script);
    }
  }

  /** The count once it stops changing for half a second. */
  private static long settled(AtomicLong received) throws InterruptedException {
    long last;
    do {
      last = received.get();
      Thread.sleep(500);
    } while (received.get() != last);
    return last;
  }

  /** Publishes a probe until the subscriber gets one: its route is then known to every node. */
  private static void awaitRoute(String url, String token, AtomicLong received) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (received.get() == 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no probe publish reached the subscriber within 30 s");
      }
      HttpRequest.Builder probe = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
          .header("Content-Type", "application/json").header("mqtt-qos", "1")
          .POST(HttpRequest.BodyPublishers.ofString("{\"probe\": true}"));
      if (token != null) {
        probe.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> answer = client.send(probe.build(), HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() / 100 != 2) {
        throw new IllegalStateException("probe publish refused: HTTP " + answer.statusCode() + " " + answer.body());
      }
      Thread.sleep(200);
    }
  }
}
