package io.mqttgrid.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TwoNodes;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connected persistent subscribers far behind their publisher on one node, whose stored queues live
 * on the other member of two: what does not fit a session's pending stage is kept by the store
 * alone and read back from it, so those reads (and their answers) cross members. Every message
 * acknowledged to the publisher must still reach each subscriber once, in order. The single-node
 * version is PersistentSubscriberBehindIT; this one covers the read-back's serialization and
 * ordering when the queue's partition is remote.
 */
class CrossNodePersistentBehindIT {

  private static final int MESSAGES = 4_000;
  private static final int SUBSCRIBERS = 2;

  @TempDir Path dir;

  @Test
  void subscribersWhoseQueuesLiveOnTheOtherMemberGetEveryAcknowledgedMessageInOrder()
      throws Exception {
    try (TwoNodes nodes = TwoNodes.start(dir, Map.of("session.max-pending-messages", "50"))) {
      TestBroker publisherNode = nodes.a;
      TestBroker subscriberNode = nodes.b;
      List<String> ids = idsOwnedBy(publisherNode.broker().hazelcast(), SUBSCRIBERS);

      List<List<Integer>> received = new ArrayList<>();
      List<Mqtt5AsyncClient> subscribers = new ArrayList<>();
      for (int i = 0; i < SUBSCRIBERS; i++) {
        List<Integer> got = new CopyOnWriteArrayList<>();
        received.add(got);
        Mqtt5AsyncClient sub = client(subscriberNode, ids.get(i));
        sub.connectWith()
            .cleanStart(true)
            .sessionExpiryInterval(300)
            .send()
            .get(10, TimeUnit.SECONDS);
        int every = 5 + 3 * i; // two paces, both slower than the publisher
        sub.subscribeWith()
            .topicFilter("remote-behind/t")
            .qos(MqttQos.AT_LEAST_ONCE)
            .callback(
                p -> {
                  got.add(ByteBuffer.wrap(p.getPayloadAsBytes()).getInt());
                  if (got.size() % every == 0) {
                    pause(); // the client acknowledges after this callback: it falls behind
                  }
                })
            .send()
            .get(10, TimeUnit.SECONDS);
        subscribers.add(sub);
      }
      Mqtt5AsyncClient pub = client(publisherNode, "remote-behind-pub");
      pub.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);
      // no wait for node a: in a cluster a SUBACK comes once the other nodes route to it
      List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>(MESSAGES);
      for (int i = 0; i < MESSAGES; i++) {
        acks.add(
            pub.publishWith()
                .topic("remote-behind/t")
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload(ByteBuffer.allocate(4).putInt(i).array())
                .send());
      }
      Set<Integer> acknowledged = new HashSet<>();
      for (int i = 0; i < MESSAGES; i++) {
        try {
          acks.get(i).get(60, TimeUnit.SECONDS);
          acknowledged.add(i);
        } catch (ExecutionException e) {
          // refused: no session could keep it (the store's own bound); never another answer
          assertThat(e.getCause())
              .isInstanceOfSatisfying(
                  Mqtt5PubAckException.class,
                  r ->
                      assertThat(r.getMqttMessage().getReasonCode())
                          .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED));
        }
      }
      assertThat(acknowledged).hasSizeGreaterThan(MESSAGES / 2);

      for (int i = 0; i < SUBSCRIBERS; i++) {
        List<Integer> got = received.get(i);
        String who = "subscriber " + ids.get(i);
        Await.until(
            who + " got every acknowledged message",
            Duration.ofSeconds(60),
            () -> new HashSet<>(got).containsAll(acknowledged));
        assertThat(got).as("%s: no message twice", who).doesNotHaveDuplicates();
        assertThat(got).as("%s: in publish order", who).isSorted();
      }
      assertThat(
              TestBroker.metricValue(
                  subscriberNode.scrapeMetrics(),
                  "mqttgrid_messages_dropped_total",
                  "reason=\"queue-full\""))
          .as("messages dropped for a full queue on the subscribers' node")
          .isZero();
      pub.disconnect().get(10, TimeUnit.SECONDS);
      for (Mqtt5AsyncClient sub : subscribers) {
        sub.disconnect().get(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Client ids whose session state (record and stored queue) is kept by {@code owner}. */
  private static List<String> idsOwnedBy(HazelcastInstance owner, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; ids.size() < count; i++) {
      String id = "remote-behind-sub-" + i;
      if (owner
          .getPartitionService()
          .getPartition(id)
          .getOwner()
          .equals(owner.getCluster().getLocalMember())) {
        ids.add(id);
      }
    }
    return ids;
  }

  private static void pause() {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Mqtt5AsyncClient client(TestBroker node, String id) {
    return MqttClient.builder()
        .useMqttVersion5()
        .identifier(id)
        .serverHost("127.0.0.1")
        .serverPort(node.mqttPort())
        .buildAsync();
  }
}
