package io.mqttgrid.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.mqttgrid.load.gatling.MqttDsl.mqtt;

import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import io.mqttgrid.load.gatling.TimestampedPayload;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP publish through the load balancer ({@code POST /mqtt/messages?topic=...&api-version=2025-02-15-preview},
 * body = payload, {@code mqtt-qos: 1}, bearer token from {@code -Dhttp.token} or {@code MQTTGRID_HTTP_TOKEN})
 * while {@code subscribers} MQTT clients share {@code $share/http-readers/loadtest/http/#}: "http publish" is
 * the HTTP response time, "http publish delivery" the time from building the request to the message reaching
 * a subscriber. Each virtual user sends one request, over connections shared by all of them (a back-end
 * service's pool); the subclasses choose the arrival profile.
 *
 * <p>Before that profile, {@code warmup} seconds (default 10; 0 for none) at {@code warmupRate} requests per
 * second (default 100) publish to {@code loadtest/warmup/...}, reported apart as "http publish warm-up" and
 * "http publish warm-up delivery": the first seconds after the nodes start are JIT compilation of brokers and
 * load generator sharing the cores, and would otherwise make the tail of a 30-second run.
 *
 * <p>The subscribers connect with a CUSTOM-JWT token when {@code -Dmqtt.token} or {@code MQTTGRID_LOAD_MQTT_TOKEN}
 * is set (Username {@code CUSTOM-JWT}, the token as password, as MQTT Grid accepts from any MQTT client), else
 * without credentials, which a broker only accepts from anonymous-allowed addresses.
 * {@code load-tests/scripts/cluster.sh} makes both tokens with {@code token-issuer.sh}.
 */
public abstract class HttpPublishSimulation extends Simulation {

  static final String API_VERSION = "2025-02-15-preview";
  /** How long after the subscribers start publishing begins: their subscriptions are in place by then. */
  private static final Duration SUBSCRIBED = Duration.ofSeconds(2);

  protected final int size = LoadSettings.integer("size", 256);
  protected final int topics = LoadSettings.integer("topics", 100);
  protected final int subscribers = LoadSettings.integer("subscribers", 3);
  protected final Duration warmUp = LoadSettings.seconds("warmup", 10);
  protected final int warmUpRate = LoadSettings.integer("warmupRate", 100);

  protected HttpPublishSimulation(List<OpenInjectionStep> publishers, Duration publishing) {
    String token = LoadSettings.httpToken();
    String mqttToken = LoadSettings.text("mqtt.token", "MQTTGRID_LOAD_MQTT_TOKEN", "");
    HttpProtocolBuilder httpProtocol = http.baseUrl(LoadSettings.httpUrl())
        .shareConnections()
        // the topic is percent-encoded here as the API asks ('/' as %2F); Gatling must not encode it again
        .disableUrlEncoding();
    if (!token.isEmpty()) {
      httpProtocol = httpProtocol.authorizationHeader("Bearer " + token);
    }

    ScenarioBuilder readers = scenario("http subscribers")
        .exec(mqttToken.isEmpty() ? mqtt("subscriber connect").connect()
            : mqtt("subscriber connect").connect().credentials("CUSTOM-JWT", mqttToken))
        .exitHereIfFailed()
        .exec(mqtt("subscriber subscribe").subscribe("$share/http-readers/loadtest/http/#").qos(1)
            .deliveryLatency("http publish delivery"))
        .exitHereIfFailed()
        .exec(mqtt("subscriber subscribe").subscribe("$share/http-readers/loadtest/warmup/#").qos(1)
            .deliveryLatency("http publish warm-up delivery"))
        .exitHereIfFailed()
        .pause(warmUp.plus(publishing).plusSeconds(10))
        .exec(mqtt("subscriber disconnect").disconnect());

    ScenarioBuilder warmUpPublish = scenario("http warm-up publishers")
        .exec(publishRequest("http publish warm-up", "loadtest/warmup/"));
    ScenarioBuilder publish = scenario("http publishers")
        .exec(publishRequest("http publish", "loadtest/http/"));

    // subscribers first; publishing starts two seconds later, once their subscriptions are in place, with the
    // warm-up (if any) before the measured profile
    List<PopulationBuilder> populations = new ArrayList<>();
    populations.add(readers.injectOpen(atOnceUsers(subscribers)));
    if (!warmUp.isZero()) {
      populations.add(warmUpPublish.injectOpen(nothingFor(SUBSCRIBED), constantUsersPerSec(warmUpRate)
          .during(warmUp)));
    }
    populations.add(publish.injectOpen(after(SUBSCRIBED.plus(warmUp), publishers)));
    setUp(populations).protocols(httpProtocol, mqtt.url(LoadSettings.mqttUrl()));
  }

  private HttpRequestActionBuilder publishRequest(String name, String topicPrefix) {
    return http(name)
        .post(session -> "/mqtt/messages?topic="
            + URLEncoder.encode(topicPrefix + session.userId() % topics, StandardCharsets.UTF_8)
            + "&api-version=" + API_VERSION)
        .header("mqtt-qos", "1")
        .header("content-type", "application/octet-stream")
        .body(ByteArrayBody(session -> TimestampedPayload.create(System.currentTimeMillis(), size)))
        .check(status().in(202, 204));
  }

  private static List<OpenInjectionStep> after(Duration delay, List<OpenInjectionStep> publishers) {
    List<OpenInjectionStep> steps = new ArrayList<>();
    steps.add(nothingFor(delay));
    steps.addAll(publishers);
    return steps;
  }
}
