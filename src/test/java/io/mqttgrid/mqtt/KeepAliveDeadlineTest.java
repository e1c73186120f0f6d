package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeepAliveDeadlineTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void passesOnlyAfterOneAndAHalfKeepAlivesOfSilence() {
    long start = 7 * SECOND; // nanoTime has an arbitrary origin
    KeepAliveDeadline d = new KeepAliveDeadline(10, start);
    assertThat(d.passed(start + 15 * SECOND)).isFalse();
    assertThat(d.passed(start + 15 * SECOND + 1)).isTrue();
  }

  @Test
  void aPacketMovesTheDeadline() {
    KeepAliveDeadline d = new KeepAliveDeadline(10, 0);
    d.touch(14 * SECOND);
    assertThat(d.passed(20 * SECOND)).isFalse();
    assertThat(d.passed(29 * SECOND + 1)).isTrue();
  }

  @Test
  void theServerCapsNoKeepAliveAndOneAboveTheCap() {
    assertThat(KeepAliveDeadline.capped(0, 60)).isTrue();
    assertThat(KeepAliveDeadline.capped(61, 60)).isTrue();
    assertThat(KeepAliveDeadline.capped(60, 60)).isFalse();
    assertThat(KeepAliveDeadline.capped(1, 60)).isFalse();
  }

  @Test
  void theDeadlineIsCheckedFourTimesPerKeepAliveButNotMoreThanTwiceASecond() {
    assertThat(KeepAliveDeadline.checkPeriodMillis(60)).isEqualTo(15_000);
    assertThat(KeepAliveDeadline.checkPeriodMillis(1)).isEqualTo(500);
  }
}
