package io.mqttgrid.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.BrokerConfig;
import io.mqttgrid.access.Permissions;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.publish.PublishSource;
import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishService;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscriber;
import io.mqttgrid.routing.Subscription;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A message from the remote through the real publish pipeline and router: the remote's PUBACK waits
 * for the local publish to be as durable as a PUBACK promises, and is never sent when it failed.
 */
class RemoteToLocalTest {

  private final MessageRouter router = new MessageRouter();
  private final PublishPipeline pipeline =
      new PublishPipeline(
          new PublishService("node-a", router, m -> Future.succeededFuture()),
          BrokerConfig.of(Map.of()).limits);

  /**
   * Deliveries to the persistent subscriber, whose queue confirms each one when the test says so.
   */
  private final List<Promise<Void>> stored = new ArrayList<>();

  private final List<PublishedMessage> delivered = new ArrayList<>();
  private final List<String> outcomes = new ArrayList<>();
  private final AtomicInteger acknowledged = new AtomicInteger();

  private final RemoteToLocal.Outcome outcome =
      new RemoteToLocal.Outcome() {
        @Override
        public void forwarded(long latencyMillis) {
          outcomes.add("forwarded");
        }

        @Override
        public void dropped(String reason, String warning) {
          outcomes.add("dropped " + reason);
        }

        @Override
        public void failed(String target, Throwable cause) {
          outcomes.add("failed " + target);
        }
      };

  private RemoteToLocal bridge(String target) {
    BridgeFile file =
        BridgeFile.parse(
            """
        dataflowEndpoints:
          - name: cloud
            mqttSettings: {host: "h:1"}
        dataflows:
          - name: down
            operations:
              - {operationType: Source, sourceSettings: {endpointRef: cloud, dataSources: ['devices/#']}}
              - {operationType: Destination, destinationSettings: {endpointRef: default, dataDestination: '%s'}}
        """
                .formatted(target),
            Path.of("."));
    router.subscribe(
        new Subscriber() {
          @Override
          public String clientId() {
            return "persistent-app";
          }

          @Override
          public boolean isOnline() {
            return false;
          }

          @Override
          public Future<Void> deliver(
              PublishedMessage message, int qos, boolean retain, int[] ids, String group) {
            delivered.add(message);
            Promise<Void> p = Promise.promise();
            stored.add(p);
            return p.future();
          }
        },
        new Subscription("edge/#", 1, false, false, 0, 0));
    return new RemoteToLocal(
        file.dataflows().get(0),
        pipeline,
        new LoopGuard(file),
        PublishSource.bridge(
            "$bridge/down", Permissions.ALL_BUT_RESERVED, PublishSource.Quota.UNLIMITED));
  }

  private RemoteClient.Incoming incoming(String topic) {
    return new RemoteClient.Incoming(
        topic,
        1,
        false,
        "on".getBytes(StandardCharsets.UTF_8),
        null,
        null,
        List.of(),
        null,
        -1,
        -1,
        acknowledged::incrementAndGet);
  }

  @Test
  void theRemoteIsAcknowledgedOnlyWhenTheLocalSubscriberStoredTheMessage() {
    RemoteToLocal bridge = bridge("edge/${inputTopic.2}");
    bridge.forward(incoming("devices/press-7/status"), outcome);

    assertThat(delivered)
        .singleElement()
        .satisfies(m -> assertThat(m.topic()).isEqualTo("edge/press-7"));
    assertThat(acknowledged).hasValue(0);
    assertThat(outcomes).isEmpty();
    stored.get(0).complete();
    assertThat(acknowledged).hasValue(1);
    assertThat(outcomes).containsExactly("forwarded");
  }

  @Test
  void aMessageNotStoredLocallyIsNotAcknowledged() {
    RemoteToLocal bridge = bridge("edge/${inputTopic.2}");
    bridge.forward(incoming("devices/press-7/status"), outcome);
    stored.get(0).fail("store failed");

    assertThat(acknowledged).hasValue(0);
    assertThat(outcomes).containsExactly("failed edge/press-7");
  }

  @Test
  void anUnresolvableTargetIsAcknowledgedDroppedAndCounted() {
    RemoteToLocal bridge = bridge("edge/${inputTopic.3}");
    bridge.forward(incoming("devices/press-7"), outcome);

    assertThat(delivered).isEmpty();
    assertThat(acknowledged).hasValue(1);
    assertThat(outcomes).containsExactly("dropped unresolved-target");
  }

  @Test
  void aMessageThisBrokerRefusesIsAcknowledgedDroppedAndCounted() {
    RemoteToLocal bridge = bridge("edge/${inputTopic}");
    // a payload format indicator of UTF-8 on bytes that are not UTF-8 (MQTT-3.3.2-4)
    bridge.forward(
        new RemoteClient.Incoming(
            "devices/press-7",
            1,
            false,
            new byte[] {(byte) 0xFF},
            null,
            null,
            List.of(),
            null,
            -1,
            1,
            acknowledged::incrementAndGet),
        outcome);

    assertThat(delivered).isEmpty();
    assertThat(acknowledged).hasValue(1);
    assertThat(outcomes).containsExactly("dropped refused-payload-format-invalid");
  }
}
