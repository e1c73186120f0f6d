package io.mqttgrid.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.stressPeakUsers;

import java.time.Duration;
import java.util.List;

/**
 * HTTP publish at a base {@code rate} per second, with a spike of {@code spike} extra requests arriving
 * within {@code spikeSeconds} seconds in the middle, then the base rate again: does delivery latency
 * recover after the burst.
 */
public class HttpPublishSpikeSimulation extends HttpPublishSimulation {

  private static final int BASE = LoadSettings.integer("rate", 100);
  private static final Duration BEFORE = LoadSettings.seconds("before", 10);
  private static final Duration SPIKE = LoadSettings.seconds("spikeSeconds", 3);
  private static final Duration AFTER = LoadSettings.seconds("after", 15);

  public HttpPublishSpikeSimulation() {
    super(List.of(
        constantUsersPerSec(BASE).during(BEFORE),
        stressPeakUsers(LoadSettings.integer("spike", 1500)).during(SPIKE),
        constantUsersPerSec(BASE).during(AFTER)), BEFORE.plus(SPIKE).plus(AFTER));
  }
}
