package io.mqttgrid.session;

import io.mqttgrid.testing.SlowSubscriberFanIn;
import io.mqttgrid.testing.TestBroker;
import java.util.Map;
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
    // small bounds, so that a few thousand messages are far beyond them: 1,000 waiting for the
    // subscriber; each publisher at most 50 unacknowledged; an acknowledgement held up to 10 s, not
    // 1: on a loaded machine the subscriber's pace (ten every 5 ms) can fall so far that a held one
    // waits past 1 s, and is then answered and its message dropped, as documented (a full run: 541
    // refused)
    Map<String, String> bounds =
        Map.of(
            "session.max-pending-messages",
            "1000",
            "limits.receive-maximum",
            "50",
            "session.hold-acks-max-millis",
            "10000");
    try (TestBroker broker = TestBroker.start(bounds)) {
      new SlowSubscriberFanIn(4, 1_000).run(broker, broker).assertNothingLost();
    }
  }
}
