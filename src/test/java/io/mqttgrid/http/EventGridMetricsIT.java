package io.mqttgrid.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.mqttgrid.hazelcast.HazelcastMetrics;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.PrometheusScrape;
import io.mqttgrid.testing.RawMqttClient;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.RawMqttClient.Filter;
import io.mqttgrid.testing.RawMqttClient.Packet;
import io.mqttgrid.testing.TestBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Real clients (MQTT 5 over TCP, MQTT 3.1.1 over WebSocket, a raw client for an invalid filter)
 * connect, publish and subscribe; the Prometheus scrape then shows the Event Grid metrics of spec
 * section 8.1 with the counts those actions must produce, and the JVM and Hazelcast basics.
 */
class EventGridMetricsIT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  /**
   * Per-connection inbound byte rate: one large publish passes (a full bucket), the next one right
   * after not.
   */
  private static final int BYTES_PER_SECOND = 100_000;

  private static final int LARGE_PAYLOAD = 400_000;

  @Test
  void eventGridMetricsCountConnectsPublishesDeliveriesAndSubscriptions() throws Exception {
    try (TestBroker broker =
        TestBroker.start(Map.of("limits.publish-bytes-rate", String.valueOf(BYTES_PER_SECOND)))) {
      // a subscriber (MQTT5): one valid filter, one invalid
      RawMqttClient sub = RawMqttClient.connected(broker.mqttPort(), 5, new Connect("egm-sub"));
      sub.subscribe(1, null, Filter.of("egm/#", 1), Filter.of("a/#/b", 1));
      assertThat(sub.readUntil(RawMqttClient.SUBACK, WAIT).reasonCodes())
          .containsExactly(0x01, 0x8F);

      // MQTT5 over TCP: 3 x QoS 1 (10 bytes) and 2 x QoS 0 (7 bytes)
      Mqtt5BlockingClient pub5 = broker.v5("egm-pub5");
      pub5.connect();
      for (int i = 0; i < 3; i++) {
        pub5.publishWith()
            .topic("egm/q1")
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload("0123456789".getBytes())
            .send();
      }
      for (int i = 0; i < 2; i++) {
        pub5.publishWith()
            .topic("egm/q0")
            .qos(MqttQos.AT_MOST_ONCE)
            .payload("abcdefg".getBytes())
            .send();
      }
      // MQTT 3.1.1 over WebSocket: 1 x QoS 1 (5 bytes)
      Mqtt3BlockingClient ws3 =
          MqttClient.builder()
              .useMqttVersion3()
              .identifier("egm-ws3")
              .serverHost("127.0.0.1")
              .serverPort(broker.websocketPort())
              .webSocketConfig()
              .serverPath("mqtt")
              .applyWebSocketConfig()
              .buildBlocking();
      ws3.connect();
      ws3.publishWith()
          .topic("egm/ws")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("hello".getBytes())
          .send();

      // every message reached the subscriber: deliveries are counted when written
      List<String> received = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Packet p = sub.readPublish(WAIT);
        received.add(p.topic());
        if (p.qos() == 1) {
          sub.puback(p.packetId());
        }
      }
      assertThat(received)
          .containsExactlyInAnyOrder("egm/q1", "egm/q1", "egm/q1", "egm/q0", "egm/q0", "egm/ws");

      // a refused CONNECT: client identifier longer than limits.max-client-id-length
      Mqtt5BlockingClient tooLong = broker.v5("x".repeat(200));
      assertThatThrownBy(tooLong::connect).isInstanceOf(Mqtt5ConnAckException.class);

      // throttling: the second large publish in a row exceeds the connection's inbound byte rate
      Mqtt5BlockingClient large = broker.v5("egm-large");
      large.connect();
      large
          .publishWith()
          .topic("large/x")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(new byte[LARGE_PAYLOAD])
          .send();
      assertThatThrownBy(
              () ->
                  large
                      .publishWith()
                      .topic("large/x")
                      .qos(MqttQos.AT_LEAST_ONCE)
                      .payload(new byte[LARGE_PAYLOAD])
                      .send())
          .isInstanceOfSatisfying(
              Mqtt5PubAckException.class,
              e ->
                  assertThat(e.getMqttMessage().getReasonCode())
                      .isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED));

      sub.unsubscribe(2, "egm/#");
      assertThat(sub.readUntil(RawMqttClient.UNSUBACK, WAIT).reasonCodes()).containsExactly(0x00);

      PrometheusScrape m = PrometheusScrape.of(broker);
      // MQTT.Connections: sub, pub5, large over MQTT5; ws3 over MQTT3-WS
      assertThat(m.value("mqtt_connections", "Protocol", "MQTT5")).isEqualTo(3);
      assertThat(m.value("mqtt_connections", "Protocol", "MQTT3-WS")).isEqualTo(1);
      assertThat(m.value("mqtt_connections", "Protocol", "MQTT3")).isZero();
      assertThat(m.value("mqtt_connections", "Protocol", "MQTT5-WS")).isZero();

      // MQTT.RequestCount
      assertThat(
              m.value(
                  "mqtt_request_count_total",
                  "OperationType",
                  "Connect",
                  "Protocol",
                  "MQTT5",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(3);
      assertThat(
              m.value(
                  "mqtt_request_count_total",
                  "OperationType",
                  "Connect",
                  "Protocol",
                  "MQTT5",
                  "Result",
                  "ClientError",
                  "Error",
                  "ClientError"))
          .isEqualTo(1);
      assertThat(
              m.value(
                  "mqtt_request_count_total",
                  "OperationType",
                  "Connect",
                  "Protocol",
                  "MQTT3-WS",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(1);
      assertThat(
              m.value(
                  "mqtt_request_count_total",
                  "OperationType",
                  "Publish",
                  "Protocol",
                  "MQTT5",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(6);
      assertThat(
              m.value(
                  "mqtt_request_count_total",
                  "OperationType",
                  "Publish",
                  "Protocol",
                  "MQTT5",
                  "Result",
                  "ClientError",
                  "Error",
                  "QuotaExceeded"))
          .isEqualTo(1);
      assertThat(
              m.value(
                  "mqtt_request_count_total",
                  "OperationType",
                  "Publish",
                  "Protocol",
                  "MQTT3-WS",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(1);
      assertThat(
              m.value(
                  "mqtt_request_count_total",
                  "OperationType",
                  "Deliver",
                  "Protocol",
                  "MQTT5",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(6);
      // one SUBSCRIBE packet with one good and one bad filter is one successful request
      assertThat(
              m.value(
                  "mqtt_request_count_total",
                  "OperationType",
                  "Subscribe",
                  "Protocol",
                  "MQTT5",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(1);
      assertThat(
              m.value(
                  "mqtt_request_count_total",
                  "OperationType",
                  "Unsubscribe",
                  "Protocol",
                  "MQTT5",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(1);

      // MQTT.SuccessfulPublishedMessages / FailedPublishedMessages (the first large one had no
      // subscriber:
      // accepted all the same)
      assertThat(
              m.value("mqtt_successful_published_messages_total", "Protocol", "MQTT5", "QoS", "1"))
          .isEqualTo(4);
      assertThat(
              m.value("mqtt_successful_published_messages_total", "Protocol", "MQTT5", "QoS", "0"))
          .isEqualTo(2);
      assertThat(
              m.value(
                  "mqtt_successful_published_messages_total", "Protocol", "MQTT3-WS", "QoS", "1"))
          .isEqualTo(1);
      assertThat(
              m.value(
                  "mqtt_failed_published_messages_total",
                  "Protocol",
                  "MQTT5",
                  "QoS",
                  "1",
                  "Error",
                  "QuotaExceeded"))
          .isEqualTo(1);
      assertThat(m.sum("mqtt_failed_published_messages_total")).isEqualTo(1);

      // MQTT.SuccessfulDeliveredMessages: the subscriber's granted QoS 1 caps nothing here
      assertThat(
              m.value("mqtt_successful_delivered_messages_total", "Protocol", "MQTT5", "QoS", "1"))
          .isEqualTo(4);
      assertThat(
              m.value("mqtt_successful_delivered_messages_total", "Protocol", "MQTT5", "QoS", "0"))
          .isEqualTo(2);

      // MQTT.SuccessfulSubscriptionOperations / FailedSubscriptionOperations: per filter
      assertThat(
              m.value(
                  "mqtt_successful_subscription_operations_total",
                  "OperationType",
                  "Subscribe",
                  "Protocol",
                  "MQTT5"))
          .isEqualTo(1);
      assertThat(
              m.value(
                  "mqtt_failed_subscription_operations_total",
                  "OperationType",
                  "Subscribe",
                  "Protocol",
                  "MQTT5",
                  "Error",
                  "ClientError"))
          .isEqualTo(1);
      assertThat(
              m.value(
                  "mqtt_successful_subscription_operations_total",
                  "OperationType",
                  "Unsubscribe",
                  "Protocol",
                  "MQTT5"))
          .isEqualTo(1);

      // MQTT.Throughput: PUBLISH payload bytes
      long smallIn = 3 * 10 + 2 * 7 + 5;
      assertThat(m.value("mqtt_throughput_bytes_total", "Direction", "Inbound"))
          .isEqualTo(smallIn + 2L * LARGE_PAYLOAD);
      assertThat(m.value("mqtt_throughput_bytes_total", "Direction", "Outbound"))
          .isEqualTo(smallIn);

      // MQTT.ThrottlingEnforcements
      assertThat(
              m.value(
                  "mqtt_throttling_enforcements_total",
                  "ThrottleType",
                  "InboundBandwidthPerConnection"))
          .isEqualTo(1);

      // connect and QoS 1 publish latency (Timers: count per outcome)
      assertThat(
              m.value(
                  "mqtt_connect_latency_seconds_count",
                  "Protocol",
                  "MQTT5",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(3);
      assertThat(
              m.value(
                  "mqtt_connect_latency_seconds_count",
                  "Protocol",
                  "MQTT5",
                  "Result",
                  "ClientError",
                  "Error",
                  "ClientError"))
          .isEqualTo(1);
      assertThat(
              m.value(
                  "mqtt_publish_latency_seconds_count",
                  "Protocol",
                  "MQTT5",
                  "QoS",
                  "1",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(4);
      assertThat(
              m.value(
                  "mqtt_publish_latency_seconds_count",
                  "Protocol",
                  "MQTT3-WS",
                  "QoS",
                  "1",
                  "Result",
                  "Success",
                  "Error",
                  "None"))
          .isEqualTo(1);
      assertThat(m.series("mqtt_publish_latency_seconds_bucket")).isNotEmpty();

      // JVM and Hazelcast basics
      assertThat(m.sum("jvm_memory_used_bytes")).isPositive();
      assertThat(m.series("jvm_gc_memory_allocated_bytes_total")).isNotEmpty();
      assertThat(m.sum("jvm_threads_live_threads")).isPositive();
      assertThat(m.sum("system_cpu_count")).isPositive();
      assertThat(m.value("hazelcast_cluster_size")).isEqualTo(1);
      for (String map : HazelcastMetrics.BROKER_MAPS) {
        assertThat(m.series("hazelcast_map_owned_entries", "map", map))
            .as("owned entries of %s", map)
            .hasSize(1);
        assertThat(m.series("hazelcast_map_backup_entries", "map", map))
            .as("backup entries of %s", map)
            .hasSize(1);
      }

      // a closed connection leaves MQTT.Connections
      ws3.disconnect();
      Await.until(
          "the WebSocket connection left mqtt_connections",
          WAIT,
          () -> PrometheusScrape.of(broker).value("mqtt_connections", "Protocol", "MQTT3-WS") == 0);
      assertThat(PrometheusScrape.of(broker).value("mqtt_connections", "Protocol", "MQTT3-WS"))
          .isZero();
      pub5.disconnect();
      large.disconnect();
      sub.close();
    }
  }
}
