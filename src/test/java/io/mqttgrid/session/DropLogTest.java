package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DropLogTest {

  private static final SessionLimits LIMITS =
      new SessionLimitsBuilder()
          .maxQueued(100, 1 << 20)
          .maxPending(10_000, 16 << 20)
          .maxOutboundBuffered(1_000, 4 << 20)
          .maxInflightBytes(4 << 20)
          .holdAcks(5_000, 1_000)
          .maxQueuedConnected(100_000, 64 << 20)
          .build();

  @Test
  void oneLinePerIntervalWithTheCountsAndTheBoundBehindThem() {
    AtomicLong now = new AtomicLong(1_000_000);
    DropLog log = new DropLog(60_000, now::get);

    String first = log.dropped("sub-1", "queue-full", Session.State.ONLINE, false, LIMITS);
    assertThat(first)
        .as("the first drop is said at once")
        .contains("1 queue-full (connected client behind: session.max-pending-messages 10000")
        .contains("client sub-1");
    now.addAndGet(1_000);
    for (int i = 0; i < 500; i++) {
      assertThat(log.dropped("sub-1", "queue-full", Session.State.ONLINE, false, LIMITS))
          .as("within the interval: counted, not logged")
          .isNull();
    }
    assertThat(log.dropped("sub-2", "queue-full", Session.State.OFFLINE, true, LIMITS)).isNull();
    assertThat(log.dropped("sub-4", "queue-full", Session.State.ONLINE, true, LIMITS)).isNull();
    now.addAndGet(60_000);
    String next = log.dropped("sub-3", "slow-subscriber", Session.State.ONLINE, false, LIMITS);
    assertThat(next)
        .contains("in the last 61 s")
        .contains("500 queue-full (connected client behind: session.max-pending-messages")
        .contains("1 queue-full (offline queue full: session.max-queued-messages 100")
        .contains(
            "1 queue-full (connected client behind, stored queue full:"
                + " session.max-queued-connected-messages 100000 / max-queued-connected-bytes"
                + " 67108864)")
        .contains("1 slow-subscriber (QoS 0, socket full: session.max-outbound-buffered 1000");
  }
}
