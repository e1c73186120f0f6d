package io.mqttgrid.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;

import java.util.List;

/** HTTP publish at a steady {@code rate} requests per second for {@code duration} seconds. */
public class HttpPublishSteadySimulation extends HttpPublishSimulation {

  public HttpPublishSteadySimulation() {
    super(List.of(constantUsersPerSec(LoadSettings.integer("rate", 200))
        .during(LoadSettings.seconds("duration", 30))), LoadSettings.seconds("duration", 30));
  }
}
