package io.mqttgrid.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.hazelcast.HazelcastSessionStore;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.RawMqttClient.Packets;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A persistent subscriber that comes back while a burst of QoS 1 messages for it is still on its
 * way into its offline queue: it gets every message, in the order the publisher sent them (MQTT 5
 * section 4.6), and no round stalls. The moment of the reconnect within the burst differs from
 * round to round; {@link SessionResumeOrderTest} pins the interleaving that once reordered.
 */
@WithBroker({"session.max-queued-messages=1000"})
class SessionResumeOrderIT {

  static TestBroker broker;

  private static final int MESSAGES = 200;

  /** Rounds of subscribe, go offline, burst, reconnect; more with -Dresume-order.rounds=30. */
  private static final int ROUNDS = Integer.getInteger("resume-order.rounds", 8);

  /** A round that gets no message for this long has stalled. */
  private static final Duration STALL = Duration.ofSeconds(10);

  private static boolean offline(String clientId) {
    SessionRecord r =
        (SessionRecord)
            broker.broker().hazelcast().getMap(HazelcastSessionStore.SESSIONS).get(clientId);
    return r != null && !r.connected();
  }

  private static byte[] burst(String topic) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < MESSAGES; i++) {
      out.writeBytes(
          Packets.publish(5, topic, ("m" + i).getBytes(StandardCharsets.UTF_8), 1, i + 1));
    }
    return out.toByteArray();
  }

  /** The reason codes of the PUBACKs the publisher has got, how many of each. */
  private static java.util.Map<Integer, Integer> pubackReasons(RawMqttClient publisher) {
    java.util.Map<Integer, Integer> reasons = new java.util.TreeMap<>();
    for (Packet p : publisher.drain(Duration.ofSeconds(1))) {
      if (p.type() == RawMqttClient.PUBACK) {
        reasons.merge(p.reasonCode(), 1, Integer::sum);
      }
    }
    return reasons;
  }

  @Test
  void aSubscriberResumingDuringABurstGetsItInOrderEveryRound() {
    List<String> published = IntStream.range(0, MESSAGES).mapToObj(i -> "m" + i).toList();
    try (RawMqttClient publisher =
        RawMqttClient.connected(broker.mqttPort(), 5, new Connect("resume-order-pub"))) {
      for (int round = 0; round < ROUNDS; round++) {
        String clientId = "resume-order-sub-" + round;
        String topic = "resume-order/" + round;
        try (RawMqttClient sub =
            RawMqttClient.connected(
                broker.mqttPort(), 5, new Connect(clientId).cleanStart(true).sessionExpiry(3600))) {
          sub.subscribe(1, topic, 1);
          sub.expect(RawMqttClient.SUBACK);
          sub.disconnect();
        }
        Await.until(clientId + " offline", Duration.ofSeconds(10), () -> offline(clientId));

        // the subscriber comes back while the whole burst, sent in one write, reaches its session
        List<String> received = new ArrayList<>();
        try (RawMqttClient sub = RawMqttClient.open(broker.mqttPort(), 5)) {
          Connect resume = new Connect(clientId).cleanStart(false).sessionExpiry(3600);
          if (round % 2 == 0) {
            sub.sendConnect(resume);
            publisher.send(burst(topic));
          } else {
            publisher.send(burst(topic));
            sub.sendConnect(resume);
          }
          assertThat(sub.expect(RawMqttClient.CONNACK).reasonCode()).isZero();
          Set<String> seen = new HashSet<>();
          while (seen.size() < MESSAGES) {
            Packet p;
            try {
              p = sub.readPublish(STALL);
            } catch (AssertionError stalled) {
              throw new AssertionError(
                  "round "
                      + round
                      + " stalled after "
                      + seen.size()
                      + " messages: "
                      + received
                      + "; the publisher's PUBACK reason codes: "
                      + pubackReasons(publisher),
                  stalled);
            }
            // QoS 1 may repeat a message; what counts is the order of first arrivals
            if (seen.add(p.payloadText())) {
              received.add(p.payloadText());
            }
          }
          sub.disconnect();
        }
        assertThat(received).as("round %d: in the order published", round).isEqualTo(published);
        for (int i = 0; i < MESSAGES; i++) {
          Packet ack = publisher.readUntil(RawMqttClient.PUBACK, STALL);
          assertThat(ack.reasonCode()).as("round %d: PUBACK %d", round, i).isZero();
        }
      }
    }
  }
}
