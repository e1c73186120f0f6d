package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttgrid.mqtt.ConnectionAdmission.Limits;
import io.mqttgrid.mqtt.ConnectionAdmission.Refusal;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConnectionRefusalsTest {

  private static final Limits LIMITS = new Limits(0, 1000, 100, 500);

  @Test
  void everyRefusalIsCountedByReasonAndSaidOncePerIntervalWithItsKey() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicLong now = new AtomicLong(5_000_000);
    ConnectionRefusals refusals = new ConnectionRefusals(registry, now::get);

    String first =
        refusals.refused(Refusal.TOO_MANY_CONNECTIONS, "10.0.0.1", LIMITS, 18_000, 18_000, 3);
    assertThat(first)
        .as("the first refusal is said at once")
        .contains("(first this run)")
        .contains("1 over mqtt.max-connections 18000")
        .contains("open 18000")
        .contains("from 10.0.0.1");
    now.addAndGet(1_000);
    for (int i = 0; i < 1_000; i++) {
      assertThat(
              refusals.refused(
                  Refusal.TOO_MANY_CONNECTIONS, "10.0.1." + i % 250, LIMITS, 18_000, 18_000, 3))
          .as("within the interval: counted, not logged")
          .isNull();
    }
    assertThat(refusals.refused(Refusal.RATE, "10.0.0.9", LIMITS, 18_000, 17_990, 3)).isNull();
    now.addAndGet(ConnectionRefusals.INTERVAL_MILLIS);
    String next =
        refusals.refused(
            Refusal.TOO_MANY_UNAUTHENTICATED_FROM_ADDRESS, "10.0.0.7", LIMITS, 18_000, 17_000, 100);
    assertThat(next)
        .contains("in the last 61 s")
        .contains("1000 over mqtt.max-connections 18000")
        .contains("1 over mqtt.max-unauthenticated-per-address 100")
        .contains("1 over mqtt.connect-rate-per-address 500/s")
        .contains("e.g. from 10.0.1.0");

    assertThat(count(registry, "max-connections")).isEqualTo(1_001);
    assertThat(count(registry, "connect-rate-per-address")).isEqualTo(1);
    assertThat(count(registry, "max-unauthenticated-per-address")).isEqualTo(1);
    assertThat(count(registry, "max-unauthenticated-connections"))
        .as("registered before the first, so that dashboards see a zero")
        .isZero();
  }

  private static double count(SimpleMeterRegistry registry, String reason) {
    return registry.get("mqttgrid.connections.refused").tag("reason", reason).counter().count();
  }
}
