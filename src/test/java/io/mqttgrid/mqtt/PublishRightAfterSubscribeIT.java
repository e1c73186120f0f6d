package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.session.Session;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A message another client publishes right after the broker read a SUBSCRIBE, before its SUBACK,
 * reaches the new subscriber: the request/response pattern, where the requester may publish as soon
 * as the responder subscribed (Paho's MQTT 5 interoperability test {@code test_request_response}
 * does not wait for the responder's SUBACK). The subscription routes as soon as the broker handles
 * the SUBSCRIBE; announcing it to the cluster (a route table write) comes after.
 *
 * <p>The publisher writes its PUBLISH the moment the broker's session lists the new subscription,
 * from another connection (usually on another event loop). Before the change the route table write
 * came first and the local route a fraction of a millisecond later: a round in twenty or forty got
 * PUBACK 0x10 No matching subscribers.
 */
@WithBroker
class PublishRightAfterSubscribeIT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  static TestBroker broker;

  @Test
  void aPublishRightAfterTheSubscribeReachesTheNewSubscriber() {
    for (boolean persistent : new boolean[] {false, true}) {
      for (int round = 0; round < 20; round++) {
        String clientId = "after-sub-" + persistent + "-" + round;
        String topic = "after-subscribe/" + persistent + "/" + round;
        Connect subscriberConnect = new Connect(clientId);
        if (persistent) {
          subscriberConnect.cleanStart(false).sessionExpiry(60);
        }
        RawMqttClient subscriber = RawMqttClient.connected(broker.mqttPort(), 5, subscriberConnect);
        RawMqttClient publisher =
            RawMqttClient.connected(
                broker.mqttPort(), 5, new Connect("after-pub-" + persistent + "-" + round));
        try {
          Session session = broker.broker().sessions().local(clientId);
          subscriber.subscribe(1, topic, 1);
          long deadline = System.nanoTime() + WAIT.toNanos();
          // spins (a read of another thread's count: at worst late, which only delays the publish)
          while (session.subscriptionCount() == 0) {
            assertThat(System.nanoTime()).as("the broker read the SUBSCRIBE").isLessThan(deadline);
            Thread.onSpinWait();
          }
          publisher.publish(topic, "request", 1, false, 7, null);
          Packet puback = publisher.expect(RawMqttClient.PUBACK, WAIT);
          List<Packet> received = new ArrayList<>();
          received.add(subscriber.read(WAIT));
          if (received.get(0).type() == RawMqttClient.SUBACK) {
            Packet next = subscriber.poll(Duration.ofSeconds(2));
            if (next != null) {
              received.add(next);
            }
          }
          assertThat(puback.reasonCode())
              .as(
                  "round %d, persistent %s: PUBACK (0x10: no matching subscribers)",
                  round, persistent)
              .isZero();
          assertThat(received)
              .as("round %d, persistent %s: what the subscriber got", round, persistent)
              .anySatisfy(
                  p -> {
                    assertThat(p.type()).isEqualTo(RawMqttClient.PUBLISH);
                    assertThat(p.payloadText()).isEqualTo("request");
                  });
        } finally {
          subscriber.close();
          publisher.close();
        }
      }
    }
  }
}
