package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.PersistentSubscribersBehind;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two connected persistent subscribers that fall behind one QoS 1 publisher by far more than {@code
 * session.max-pending-messages}: a message acknowledged to the publisher (0x00) is stored in both
 * sessions, so each must get it, in publish order, whatever the other one did. Before, a session
 * whose pending queue was full dropped the message (queue-full) while the publisher was told it was
 * accepted because the other session had kept it: each subscriber lost about a third of them in
 * PersistentSubscriberAckIT.
 */
@WithBroker({"session.max-pending-messages=50"})
class PersistentSubscriberBehindIT {

  static TestBroker broker;

  @Test
  void everyMessageAcknowledgedToThePublisherReachesEachPersistentSubscriberInOrder()
      throws Exception {
    new PersistentSubscribersBehind(10_000, List.of("behind-sub-0", "behind-sub-1"))
        .run(broker, broker);
    assertThat(
            TestBroker.metricValue(
                broker.scrapeMetrics(), "mqttgrid_messages_dropped_total", "reason=\"queue-full\""))
        .as("messages dropped for a full queue")
        .isZero();
  }
}
