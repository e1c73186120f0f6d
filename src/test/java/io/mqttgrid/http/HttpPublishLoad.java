package io.mqttgrid.http;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.mqttgrid.testing.ClusterFixture;
import io.mqttgrid.testing.TcpLoadBalancer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures HTTP publishes per second through a load balancer in front of a 3-node cluster, with wrk (Debian
 * package {@code wrk}) as the load generator. Not a test: run it after {@code mvn -DskipTests package}, with the
 * test classpath, from the project directory:
 *
 * <pre>
 * mvn -o -q dependency:build-classpath -Dmdep.outputFile=target/test-cp.txt -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/test-cp.txt) io.mqttgrid.http.HttpPublishLoad [seconds] [connections] [qos]
 * </pre>
 *
 * It starts the nodes (ClusterFixture, the packaged jar), the test TCP load balancer in front of their HTTP
 * ports, and one MQTT 5 subscriber on n2 to the published topic, then runs
 * {@code wrk -t2 -c<connections> -d<seconds>s -s <script> <balancer URL>} (every connection stays on the node
 * the balancer gave it) and prints wrk's report and how many messages the subscriber got.
 */
public final class HttpPublishLoad {

  private HttpPublishLoad() {
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 12;
    int qos = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    Path dir = Files.createTempDirectory("http-publish-load");
    TestTokens tokens = TestTokens.create();
    Path namespace = tokens.writeNamespace(dir);
    try (ClusterFixture cluster = ClusterFixture.start("HttpPublishLoad", 3, Map.of("namespace.file",
        namespace.toString()))) {
      TcpLoadBalancer balancer = TcpLoadBalancer.start(cluster.nodes().stream().map(n -> new TcpLoadBalancer.Backend(
          n.id(), n.httpPort(), URI.create("http://" + n.host() + ":" + n.httpPort() + "/health/ready"))).toList());
      AtomicLong received = new AtomicLong();
      Mqtt5AsyncClient sub = MqttClient.builder().useMqttVersion5().identifier("load-sub")
          .serverHost(cluster.node(2).host()).serverPort(cluster.node(2).mqttPort()).buildAsync();
      sub.publishes(MqttGlobalPublishFilter.ALL, p -> received.incrementAndGet());
      sub.connect().get(10, TimeUnit.SECONDS);
      sub.subscribeWith().topicFilter("devices/load/#").qos(MqttQos.AT_LEAST_ONCE).send().get(10, TimeUnit.SECONDS);
      Thread.sleep(2_000); // the route reaches the other nodes

      Path script = dir.resolve("publish.lua");
      Files.writeString(script, """
          wrk.method = "POST"
          wrk.body = "{\\"temperature\\": 21.5, \\"unit\\": \\"C\\"}"
          wrk.headers["Authorization"] = "Bearer %s"
          wrk.headers["Content-Type"] = "application/json"
          wrk.headers["mqtt-qos"] = "%d"
          wrk.headers["mqtt-user-properties"] = "[{\\"source\\":\\"wrk\\"}]"
          """.formatted(tokens.token("load-backend"), qos));
      String url = "http://" + balancer.host() + ":" + balancer.port()
          + "/mqtt/messages?topic=devices%2Fload%2Ft1&api-version=2025-02-15-preview";
      List<String> command = new ArrayList<>(List.of("wrk", "-t2", "-c" + connections, "-d" + seconds + "s",
          "--latency", "-s", script.toString(), url));
      System.out.println("running: " + String.join(" ", command));
      Process wrk = new ProcessBuilder(command).inheritIO().start();
      int exit = wrk.waitFor();
      Thread.sleep(2_000);
      System.out.printf("wrk exit %d; subscriber on n2 received %d messages; the balancer placed connections on %s%n",
          exit, received.get(), balancer.history().stream().distinct().toList());
      sub.disconnect().get(10, TimeUnit.SECONDS);
      balancer.close();
    } catch (IOException e) {
      System.out.println("cannot run wrk (apt-get install wrk): " + e.getMessage());
    }
  }
}
