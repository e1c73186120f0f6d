package io.mqttgrid.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.mqttgrid.load.gatling.MqttDsl.mqtt;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;

/**
 * Connect storm: {@code users} devices connect within {@code ramp} seconds, each holds its connection for
 * {@code hold} seconds (so all are open at once at the peak) and disconnects. Reports CONNACK and DISCONNECT
 * times; the report's active-users chart shows the concurrent connections.
 */
public class MqttConnectStormSimulation extends Simulation {

  private final int users = LoadSettings.integer("users", 2000);
  private final Duration ramp = LoadSettings.seconds("ramp", 10);
  private final Duration hold = LoadSettings.seconds("hold", 20);

  private final ScenarioBuilder storm = scenario("connect storm")
      .exec(mqtt("connect").connect().keepAlive(120))
      .exitHereIfFailed()
      .pause(hold)
      .exec(mqtt("disconnect").disconnect());

  {
    setUp(storm.injectOpen(rampUsers(users).during(ramp))).protocols(mqtt.url(LoadSettings.mqttUrl()));
  }
}
