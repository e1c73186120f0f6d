package io.mqttgrid.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.BinaryProperty;
import io.netty.handler.codec.mqtt.MqttProperties.IntegerProperty;
import io.netty.handler.codec.mqtt.MqttProperties.StringProperty;
import io.netty.handler.codec.mqtt.MqttProperties.UserProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The computed size is that of the PUBLISH Netty's encoder (vertx-mqtt's) writes, property by
 * property.
 */
class MqttPacketSizeTest {

  @Test
  void aBareMessage() {
    PublishedMessage m = message("t", new byte[3], -1, 0, null, null, null, List.of());
    for (int qos = 0; qos <= 2; qos++) {
      assertThat(MqttPacketSize.publish(m, qos)).isEqualTo(encoded(MqttVersion.MQTT_5, m, qos));
      assertThat(MqttPacketSize.publishV311(m, qos))
          .isEqualTo(encoded(MqttVersion.MQTT_3_1_1, m, qos));
    }
  }

  @Test
  void everyPropertyAndSubscriptionIdentifiers() {
    PublishedMessage m =
        message(
            "café/ü",
            new byte[200],
            1,
            5_000,
            "text/plain; charset=utf-8",
            "reply/é",
            new byte[] {1, 2, 3},
            List.of(
                new UserProperty("a", "1"),
                new UserProperty("ключ", "значение"),
                new UserProperty("a", "2")));
    int[][] idSets = {{}, {1}, {127, 128}, {16_384, 268_435_455}};
    for (int[] ids : idSets) {
      assertThat(MqttPacketSize.publish(m, 1, ids))
          .as("subscription ids %s", ids.length)
          .isEqualTo(encoded(MqttVersion.MQTT_5, m, 1, ids));
    }
    assertThat(MqttPacketSize.publish(m)).isEqualTo(encoded(MqttVersion.MQTT_5, m, m.qos()));
  }

  @Test
  void lengthsAcrossTheVariableByteIntegerBoundaries() {
    // 127 / 128 and 16,383 / 16,384 bytes of Remaining Length: one more length byte each
    for (int payload : new int[] {0, 121, 122, 123, 16_377, 16_378, 16_379, 2_097_140}) {
      PublishedMessage m = message("t", new byte[payload], -1, 0, null, null, null, List.of());
      assertThat(MqttPacketSize.publish(m, 1))
          .as("payload %s", payload)
          .isEqualTo(encoded(MqttVersion.MQTT_5, m, 1));
      assertThat(MqttPacketSize.publishV311(m, 1))
          .as("payload %s", payload)
          .isEqualTo(encoded(MqttVersion.MQTT_3_1_1, m, 1));
    }
  }

  @Test
  void aMessageNotBuiltYetHasTheSizeOfTheMessage() {
    PublishedMessage m =
        message(
            "a/b",
            new byte[10],
            0,
            60_000,
            "c",
            "r",
            new byte[0],
            List.of(new UserProperty("k", "v")));
    assertThat(
            MqttPacketSize.publish(
                "a/b", 1, 0, true, "c", "r", new byte[0], m.userProperties(), 10))
        .isEqualTo(MqttPacketSize.publish(m, 1));
  }

  private static PublishedMessage message(
      String topic,
      byte[] payload,
      int payloadFormat,
      long expiresAt,
      String contentType,
      String responseTopic,
      byte[] correlation,
      List<UserProperty> userProperties) {
    return new PublishedMessage(
        "id",
        topic,
        payload,
        1,
        false,
        "publisher",
        1,
        expiresAt,
        payloadFormat,
        contentType,
        responseTopic,
        correlation,
        userProperties);
  }

  private static long encoded(
      MqttVersion version, PublishedMessage m, int qos, int... subscriptionIds) {
    MqttProperties p = new MqttProperties();
    if (version == MqttVersion.MQTT_5) {
      if (m.payloadFormat() >= 0) {
        p.add(new IntegerProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR, m.payloadFormat()));
      }
      if (m.expiresAtMillis() != 0) {
        p.add(new IntegerProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL, 60));
      }
      if (m.contentType() != null) {
        p.add(new StringProperty(MqttProperties.CONTENT_TYPE, m.contentType()));
      }
      if (m.responseTopic() != null) {
        p.add(new StringProperty(MqttProperties.RESPONSE_TOPIC, m.responseTopic()));
      }
      if (m.correlationData() != null) {
        p.add(new BinaryProperty(MqttProperties.CORRELATION_DATA, m.correlationData()));
      }
      if (!m.userProperties().isEmpty()) {
        UserProperties up = new UserProperties();
        m.userProperties().forEach(u -> up.add(u.name(), u.value()));
        p.add(up);
      }
      for (int id : subscriptionIds) {
        p.add(new IntegerProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER, id));
      }
    }
    MqttPublishMessage publish =
        new MqttPublishMessage(
            new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.valueOf(qos), false, 0),
            new MqttPublishVariableHeader(m.topic(), qos > 0 ? 1 : -1, p),
            Unpooled.wrappedBuffer(m.payload()));
    EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
    // the encoder writes properties only for the version the channel negotiated (MqttCodecUtil's
    // attribute)
    channel.attr(AttributeKey.<MqttVersion>valueOf("NETTY_CODEC_MQTT_VERSION")).set(version);
    channel.writeOutbound(publish);
    long size = 0;
    for (ByteBuf b = channel.readOutbound(); b != null; b = channel.readOutbound()) {
      size += b.readableBytes();
      b.release();
    }
    channel.finishAndReleaseAll();
    return size;
  }
}
