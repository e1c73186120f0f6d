package io.mqttgrid.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** http.publish-rate: a token bucket per identity, on a clock the test moves. */
class PublishRateLimiterTest {

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Test
  void anIdentityGetsItsRatePerSecondThenWaits() {
    PublishRateLimiter limiter = new PublishRateLimiter(3, nanos::get);
    assertThat(limiter.tryAcquire("backend")).isZero();
    assertThat(limiter.tryAcquire("backend")).isZero();
    assertThat(limiter.tryAcquire("backend")).isZero();
    assertThat(limiter.tryAcquire("backend")).as("Retry-After seconds").isEqualTo(1);
    nanos.addAndGet(340_000_000L); // a third of a second refills one publish
    assertThat(limiter.tryAcquire("backend")).isZero();
    assertThat(limiter.tryAcquire("backend")).isEqualTo(1);
  }

  @Test
  void identitiesAreLimitedSeparatelyAndCaseInsensitively() {
    PublishRateLimiter limiter = new PublishRateLimiter(1, nanos::get);
    assertThat(limiter.tryAcquire("Backend")).isZero();
    assertThat(limiter.tryAcquire("BACKEND")).isEqualTo(1);
    assertThat(limiter.tryAcquire("other")).isZero();
  }

  @Test
  void aSlowRateAsksForALongerWait() {
    AtomicLong clock = new AtomicLong();
    PublishRateLimiter limiter = new PublishRateLimiter(1, clock::get);
    assertThat(limiter.tryAcquire("a")).isZero();
    clock.addAndGet(100_000_000L);
    assertThat(limiter.tryAcquire("a")).isEqualTo(1);
  }

  @Test
  void zeroMeansNoLimit() {
    PublishRateLimiter limiter = new PublishRateLimiter(0, nanos::get);
    assertThat(limiter.enabled()).isFalse();
    for (int i = 0; i < 10_000; i++) {
      assertThat(limiter.tryAcquire("a")).isZero();
    }
    assertThat(limiter.tracked()).isZero();
  }

  @Test
  void idleIdentitiesAreForgotten() {
    PublishRateLimiter limiter = new PublishRateLimiter(5, nanos::get);
    limiter.tryAcquire("a");
    nanos.addAndGet(30_000_000_000L);
    limiter.tryAcquire("b");
    nanos.addAndGet(31_000_000_000L);
    limiter.evictIdle();
    assertThat(limiter.tracked()).isEqualTo(1);
  }
}
