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
 * Telemetry fan-in: {@code devices} devices each publish {@code rate} messages per second of {@code size}
 * bytes at {@code qos} to {@code telemetry/<device>} for {@code duration} seconds; a consumer group of
 * {@code consumers} members shares {@code $share/telemetry-consumers/telemetry/+}, so each message reaches
 * one of them. Reports publish (PUBACK) times and "telemetry delivery", the end-to-end latency.
 */
public class TelemetryFanInSimulation extends Simulation {

  private final int devices = LoadSettings.integer("devices", 200);
  private final int rate = LoadSettings.integer("rate", 5);
  private final int size = LoadSettings.integer("size", 256);
  private final int qos = LoadSettings.integer("qos", 1);
  private final int consumers = LoadSettings.integer("consumers", 3);
  private final Duration ramp = LoadSettings.seconds("ramp", 5);
  private final Duration duration = LoadSettings.seconds("duration", 30);
  private final Duration warmUp = Duration.ofSeconds(2);

  private final ScenarioBuilder consumerGroup = scenario("telemetry consumers")
      .exec(mqtt("consumer connect").connect())
      .exitHereIfFailed()
      .exec(mqtt("consumer subscribe").subscribe("$share/telemetry-consumers/telemetry/+").qos(qos)
          .deliveryLatency("telemetry delivery"))
      .exitHereIfFailed()
      // stays until the last device has published and its messages had time to arrive
      .pause(warmUp.plus(ramp).plus(duration).plusSeconds(5))
      .exec(mqtt("consumer disconnect").disconnect());

  private final ScenarioBuilder device = scenario("telemetry devices")
      .feed(LoadSettings.deviceIds())
      .exec(mqtt("device connect").connect().clientId("#{deviceId}"))
      .exitHereIfFailed()
      .during(duration).on(pace(Duration.ofMillis(1000 / rate))
          .exec(mqtt("telemetry publish").publish("telemetry/#{deviceId}").qos(qos).payloadSize(size)))
      .exec(mqtt("device disconnect").disconnect());

  {
    setUp(
        consumerGroup.injectOpen(atOnceUsers(consumers)),
        device.injectOpen(nothingFor(warmUp), rampUsers(devices).during(ramp)))
        .protocols(mqtt.url(LoadSettings.mqttUrl()));
  }

}
