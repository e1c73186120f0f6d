package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttgrid.mqtt.ConnectionAdmission.Limits;
import io.mqttgrid.mqtt.ConnectionAdmission.Refusal;
import org.junit.jupiter.api.Test;

class ConnectionAdmissionTest {

  @Test
  void capsOpenConnections() {
    ConnectionAdmission a =
        new ConnectionAdmission(new Limits(2, 0, 0, 0), 0, new SimpleMeterRegistry());
    assertThat(a.admit("10.0.0.1")).isNull();
    assertThat(a.admit("10.0.0.2")).isNull();
    assertThat(a.admit("10.0.0.3")).isEqualTo(Refusal.TOO_MANY_CONNECTIONS);
    a.authenticated("10.0.0.1");
    a.closed("10.0.0.1", true);
    assertThat(a.admit("10.0.0.3")).isNull();
    assertThat(a.open()).isEqualTo(2);
  }

  @Test
  void capsUnauthenticatedConnectionsInTotalAndPerAddress() {
    ConnectionAdmission a =
        new ConnectionAdmission(new Limits(100, 3, 2, 0), 0, new SimpleMeterRegistry());
    assertThat(a.admit("a")).isNull();
    assertThat(a.admit("a")).isNull();
    assertThat(a.admit("a")).isEqualTo(Refusal.TOO_MANY_UNAUTHENTICATED_FROM_ADDRESS);
    assertThat(a.admit("b")).isNull();
    assertThat(a.admit("c")).isEqualTo(Refusal.TOO_MANY_UNAUTHENTICATED);
    // an authenticated connection no longer counts against either cap
    a.authenticated("a");
    assertThat(a.unauthenticated()).isEqualTo(2);
    assertThat(a.admit("a")).isNull();
    assertThat(a.open()).isEqualTo(4);
    a.closed("a", false);
    a.closed("a", false);
    a.closed("a", true);
    a.closed("b", false);
    assertThat(a.open()).isZero();
    assertThat(a.unauthenticated()).isZero();
    assertThat(a.trackedAddresses()).isZero();
  }

  @Test
  void rateLimitsNewConnectionsPerAddress() {
    ConnectionAdmission a =
        new ConnectionAdmission(new Limits(1000, 0, 0, 5), 0, new SimpleMeterRegistry());
    int admitted = 0;
    long start = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      Refusal r = a.admit("a");
      if (r == null) {
        admitted++;
        a.closed("a", false);
      } else {
        assertThat(r).isEqualTo(Refusal.RATE);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    // the burst is the rate; tokens refill at the rate while the loop runs (slowly on a loaded
    // machine: a fixed allowance failed there)
    assertThat(admitted).isBetween(5, (int) (5 + 5 * seconds) + 1);
    assertThat(admitted).isLessThan(20);
    assertThat(a.admit("b")).isNull(); // another address has its own budget
    assertThat(a.open()).isEqualTo(1);
  }

  @Test
  void derivesTheConnectionCapFromTheDescriptorLimit() {
    // 20,000 descriptors, HTTP 4,000 and management 200: the rest less the reserve
    assertThat(ConnectionAdmission.derivedMaxConnections(20_000, 4_200))
        .isEqualTo(20_000 - 4_200 - 1024);
    // other listeners claiming nearly everything still leave MQTT a quarter
    assertThat(ConnectionAdmission.derivedMaxConnections(4_096, 8_200)).isEqualTo(1024);
    assertThat(ConnectionAdmission.derivedMaxConnections(0, 0)).isEqualTo(Integer.MAX_VALUE);
    assertThat(
            new ConnectionAdmission(new Limits(0, 0, 0, 0), 0, new SimpleMeterRegistry())
                .maxConnections())
        .isPositive();
  }

  @Test
  void onlyAFewSocketsOverTheCapAreKeptToBeAnswered() {
    ConnectionAdmission a =
        new ConnectionAdmission(new Limits(1, 0, 0, 0), 0, new SimpleMeterRegistry());
    for (int i = 0; i < ConnectionAdmission.MAX_ANSWERED_OVER_CAP; i++) {
      assertThat(a.answerOverCap()).isTrue();
    }
    assertThat(a.answerOverCap()).isFalse();
    a.answeredOverCap();
    assertThat(a.answerOverCap()).isTrue();
    assertThat(a.answerOverCap()).isFalse();
  }
}
