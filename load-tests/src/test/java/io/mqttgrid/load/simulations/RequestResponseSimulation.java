package io.mqttgrid.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.mqttgrid.load.gatling.MqttDsl.mqtt;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Point-to-point request/response (MQTT 5 response topic and correlation data): {@code requesters} clients
 * each send {@code rate} requests per second to {@code requests/<device>} for {@code duration} seconds; a
 * group of {@code responders} shares {@code $share/responders/requests/+} and answers each request on its
 * response topic {@code replies/<device>}. "request/response" is the round trip.
 */
public class RequestResponseSimulation extends Simulation {

  private final int requesters = LoadSettings.integer("requesters", 100);
  private final int responders = LoadSettings.integer("responders", 3);
  private final int rate = LoadSettings.integer("rate", 5);
  private final int size = LoadSettings.integer("size", 128);
  private final int qos = LoadSettings.integer("qos", 1);
  private final Duration ramp = LoadSettings.seconds("ramp", 5);
  private final Duration duration = LoadSettings.seconds("duration", 30);
  private final Duration warmUp = Duration.ofSeconds(2);

  private final ScenarioBuilder responder = scenario("responders")
      .exec(mqtt("responder connect").connect())
      .exitHereIfFailed()
      .exec(mqtt("responder subscribe").subscribe("$share/responders/requests/+").qos(qos).replyToRequests())
      .exitHereIfFailed()
      .pause(warmUp.plus(ramp).plus(duration).plusSeconds(10))
      .exec(mqtt("responder disconnect").disconnect());

  private final ScenarioBuilder requester = scenario("requesters")
      .feed(LoadSettings.deviceIds())
      .exec(mqtt("requester connect").connect().clientId("#{deviceId}"))
      .exitHereIfFailed()
      .exec(mqtt("requester subscribe").subscribe("replies/#{deviceId}").qos(qos))
      .exitHereIfFailed()
      .during(duration).on(pace(Duration.ofMillis(1000 / rate)).exec(
          mqtt("request/response").request("requests/#{deviceId}").responseTopic("replies/#{deviceId}")
              .qos(qos).payloadSize(size).timeout(Duration.ofSeconds(5))))
      .exec(mqtt("requester disconnect").disconnect());

  {
    setUp(
        responder.injectOpen(atOnceUsers(responders)),
        requester.injectOpen(nothingFor(warmUp), rampUsers(requesters).during(ramp)))
        .protocols(mqtt.url(LoadSettings.mqttUrl()));
  }
}
