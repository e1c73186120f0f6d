package io.mqttgrid.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.mqttgrid.load.gatling.MqttDsl.mqtt;

import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
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
 */
public abstract class HttpPublishSimulation extends Simulation {

  static final String API_VERSION = "2025-02-15-preview";

  protected final int size = LoadSettings.integer("size", 256);
  protected final int topics = LoadSettings.integer("topics", 100);
  protected final int subscribers = LoadSettings.integer("subscribers", 3);

  protected HttpPublishSimulation(List<OpenInjectionStep> publishers, Duration publishing) {
    String token = LoadSettings.httpToken();
    HttpProtocolBuilder httpProtocol = http.baseUrl(LoadSettings.httpUrl())
        .shareConnections()
        // the topic is percent-encoded here as the API asks ('/' as %2F); Gatling must not encode it again
        .disableUrlEncoding();
    if (!token.isEmpty()) {
      httpProtocol = httpProtocol.authorizationHeader("Bearer " + token);
    }

    ScenarioBuilder readers = scenario("http subscribers")
        .exec(mqtt("subscriber connect").connect())
        .exitHereIfFailed()
        .exec(mqtt("subscriber subscribe").subscribe("$share/http-readers/loadtest/http/#").qos(1)
            .deliveryLatency("http publish delivery"))
        .exitHereIfFailed()
        .pause(publishing.plusSeconds(10))
        .exec(mqtt("subscriber disconnect").disconnect());

    ScenarioBuilder publish = scenario("http publishers")
        .exec(http("http publish")
            .post(session -> "/mqtt/messages?topic="
                + URLEncoder.encode("loadtest/http/" + session.userId() % topics, StandardCharsets.UTF_8)
                + "&api-version=" + API_VERSION)
            .header("mqtt-qos", "1")
            .header("content-type", "application/octet-stream")
            .body(ByteArrayBody(session -> TimestampedPayload.create(System.currentTimeMillis(), size)))
            .check(status().in(202, 204)));

    // subscribers first; publishing starts two seconds later, once their subscriptions are in place
    setUp(
        readers.injectOpen(atOnceUsers(subscribers)),
        publish.injectOpen(afterWarmUp(publishers)))
        .protocols(httpProtocol, mqtt.url(LoadSettings.mqttUrl()));
  }

  private static List<OpenInjectionStep> afterWarmUp(List<OpenInjectionStep> publishers) {
    List<OpenInjectionStep> steps = new ArrayList<>();
    steps.add(nothingFor(Duration.ofSeconds(2)));
    steps.addAll(publishers);
    return steps;
  }
}
