package io.mqttgrid.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.repeat;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.mqttgrid.load.gatling.MqttDsl.mqtt;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Command fan-out: one back end sends a command to each of {@code devices} devices
 * ({@code commands/<device>}, QoS {@code qos}), {@code rounds} times, one round per {@code interval}
 * milliseconds. Every device waits for exactly {@code rounds} commands, so a lost command is a KO (timeout)
 * in "command received", whose response time is the end-to-end latency of each command.
 */
public class CommandFanOutSimulation extends Simulation {

  private final int devices = LoadSettings.integer("devices", 500);
  private final int rounds = LoadSettings.integer("rounds", 20);
  private final Duration interval = Duration.ofMillis(LoadSettings.integer("interval", 1000));
  private final int size = LoadSettings.integer("size", 128);
  private final int qos = LoadSettings.integer("qos", 1);
  private final Duration ramp = LoadSettings.seconds("ramp", 5);
  // the back end starts once every device has had time to subscribe
  private final Duration backEndStart = ramp.plusSeconds(3);

  private final ScenarioBuilder device = scenario("command devices")
      .feed(LoadSettings.deviceIds())
      .exec(mqtt("device connect").connect().clientId("#{deviceId}"))
      .exitHereIfFailed()
      .exec(mqtt("device subscribe").subscribe("commands/#{deviceId}").qos(qos))
      .exitHereIfFailed()
      .repeat(rounds).on(
          mqtt("command received").waitForMessage().onTopic("commands/#{deviceId}")
              // the first command comes only when the back end starts; later ones one interval apart
              .timeout(backEndStart.plus(interval).plusSeconds(10)))
      .exec(mqtt("device disconnect").disconnect());

  private final ScenarioBuilder backEnd = scenario("command back end")
      .exec(mqtt("back end connect").connect().clientId("command-back-end"))
      .exitHereIfFailed()
      .repeat(rounds).on(
          repeat(devices, "device").on(
              mqtt("command publish").publish("commands/device-#{device}").qos(qos).payloadSize(size))
          .pause(interval))
      .exec(mqtt("back end disconnect").disconnect());

  {
    setUp(
        device.injectOpen(rampUsers(devices).during(ramp)),
        backEnd.injectOpen(nothingFor(backEndStart), atOnceUsers(1)))
        .protocols(mqtt.url(LoadSettings.mqttUrl()));
  }
}
