package io.mqttgrid.session;

import io.mqttgrid.testing.SlowSubscriberFanIn;
import io.mqttgrid.testing.TestBroker;
import org.junit.jupiter.api.Test;

/**
 * Four publishers feeding one clean QoS 1 subscriber that is slower than they are (it acknowledges
 * every few milliseconds, with a small in-flight window) but keeps reading: every message the
 * publishers were acknowledged for arrives, in each publisher's order. Before, the publishers were
 * acknowledged at once and the subscriber's session dropped what did not fit {@code
 * session.max-pending-messages} (issue 15, the fan-in cell); now the session, once behind, answers
 * the publishers when their messages are sent, which their Receive Maximum turns into a pace.
 */
class FanInNoLossIT {

  @Test
  void fourPublishersOneSlowerSubscriberAtQos1LoseNothing() throws Exception {
    try (TestBroker broker = TestBroker.start(SlowSubscriberFanIn.SMALL_SESSION_BOUNDS)) {
      new SlowSubscriberFanIn(4, 1_000).run(broker, broker).assertNothingLost();
    }
  }
}
