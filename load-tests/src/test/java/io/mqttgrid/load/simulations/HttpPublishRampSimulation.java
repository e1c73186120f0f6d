package io.mqttgrid.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;

import java.util.List;

/** HTTP publish ramping from {@code from} to {@code to} requests per second over {@code duration} seconds. */
public class HttpPublishRampSimulation extends HttpPublishSimulation {

  public HttpPublishRampSimulation() {
    super(List.of(rampUsersPerSec(LoadSettings.integer("from", 10)).to(LoadSettings.integer("to", 500))
        .during(LoadSettings.seconds("duration", 30))), LoadSettings.seconds("duration", 30));
  }
}
