package io.mqttgrid.mqtt;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.MqttPacketSize;
import io.mqttgrid.wire.ReasonCode;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.BinaryProperty;
import io.netty.handler.codec.mqtt.MqttProperties.IntegerProperty;
import io.netty.handler.codec.mqtt.MqttProperties.StringProperty;
import io.netty.handler.codec.mqtt.MqttProperties.UserProperties;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubCompReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRelReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttUnsubAckReasonCode;
import java.util.ArrayList;
import java.util.List;

/** MQTT 5: reason codes on every acknowledgement, and the message properties passed through. */
final class MqttV5Adapter implements ProtocolAdapter {

  static final MqttV5Adapter INSTANCE = new MqttV5Adapter();

  private MqttV5Adapter() {}

  @Override
  public String name() {
    return "5";
  }

  @Override
  public long requestedSessionExpiry(MqttEndpoint endpoint) {
    MqttProperties.MqttProperty<?> p =
        endpoint.connectProperties() == null
            ? null
            : endpoint.connectProperties().getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL);
    return p == null ? 0 : Integer.toUnsignedLong((Integer) p.value());
  }

  @Override
  public boolean acceptsEmptyClientId(boolean cleanSession) {
    return true;
  }

  @Override
  public boolean hasServerKeepAlive() {
    return true;
  }

  @Override
  public boolean sharedSubscriptionsAvailable() {
    return true;
  }

  @Override
  public MqttProperties connackProperties(
      MqttLimits limits, boolean announceKeepAlive, long grantedExpiry, String assignedClientId) {
    MqttProperties p = new MqttProperties();
    if (limits.maxQos() < 2) {
      // absent means 2; 2 itself may not be sent (MQTT-3.2.2.3.4)
      p.add(new IntegerProperty(MqttProperties.MAXIMUM_QOS, limits.maxQos()));
    }
    p.add(new IntegerProperty(MqttProperties.RETAIN_AVAILABLE, limits.retainAvailable() ? 1 : 0));
    p.add(new IntegerProperty(MqttProperties.MAXIMUM_PACKET_SIZE, limits.maxPacketSize()));
    if (limits.topicAliasMaximum() > 0) {
      p.add(new IntegerProperty(MqttProperties.TOPIC_ALIAS_MAXIMUM, limits.topicAliasMaximum()));
    }
    p.add(new IntegerProperty(MqttProperties.RECEIVE_MAXIMUM, limits.receiveMaximum()));
    p.add(new IntegerProperty(MqttProperties.WILDCARD_SUBSCRIPTION_AVAILABLE, 1));
    p.add(new IntegerProperty(MqttProperties.SHARED_SUBSCRIPTION_AVAILABLE, 1));
    p.add(new IntegerProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 1));
    if (announceKeepAlive) {
      p.add(new IntegerProperty(MqttProperties.SERVER_KEEP_ALIVE, limits.maxKeepAlive()));
    }
    if (grantedExpiry >= 0) {
      p.add(new IntegerProperty(MqttProperties.SESSION_EXPIRY_INTERVAL, (int) grantedExpiry));
    }
    if (assignedClientId != null) {
      p.add(new StringProperty(MqttProperties.ASSIGNED_CLIENT_IDENTIFIER, assignedClientId));
    }
    return p;
  }

  @Override
  public void refuseConnect(MqttEndpoint endpoint, ReasonCode reason) {
    endpoint.reject(MqttConnectReturnCode.valueOf(reason.byteValue()));
  }

  @Override
  public void disconnect(MqttEndpoint endpoint, ReasonCode reason, MqttProperties properties) {
    if (endpoint.isConnected()) {
      endpoint.disconnect(MqttDisconnectReasonCode.valueOf(reason.byteValue()), properties);
    }
  }

  @Override
  public void puback(MqttEndpoint endpoint, int packetId, ReasonCode reason) {
    endpoint.publishAcknowledge(
        packetId, MqttPubAckReasonCode.valueOf(reason.byteValue()), MqttProperties.NO_PROPERTIES);
  }

  @Override
  public void pubrec(MqttEndpoint endpoint, int packetId, ReasonCode reason) {
    endpoint.publishReceived(
        packetId, MqttPubRecReasonCode.valueOf(reason.byteValue()), MqttProperties.NO_PROPERTIES);
  }

  @Override
  public void pubcomp(MqttEndpoint endpoint, int packetId, ReasonCode reason) {
    endpoint.publishComplete(
        packetId, MqttPubCompReasonCode.valueOf(reason.byteValue()), MqttProperties.NO_PROPERTIES);
  }

  @Override
  public void pubrel(MqttEndpoint endpoint, int packetId, ReasonCode reason) {
    endpoint.publishRelease(
        packetId, MqttPubRelReasonCode.valueOf(reason.byteValue()), MqttProperties.NO_PROPERTIES);
  }

  @Override
  public void suback(MqttEndpoint endpoint, int packetId, List<ReasonCode> codes) {
    List<MqttSubAckReasonCode> out = new ArrayList<>(codes.size());
    for (ReasonCode c : codes) {
      out.add(codeOf(MqttSubAckReasonCode.values(), c));
    }
    endpoint.subscribeAcknowledge(packetId, out, MqttProperties.NO_PROPERTIES);
  }

  @Override
  public void unsuback(MqttEndpoint endpoint, int packetId, List<ReasonCode> codes) {
    List<MqttUnsubAckReasonCode> out = new ArrayList<>(codes.size());
    for (ReasonCode c : codes) {
      out.add(codeOf(MqttUnsubAckReasonCode.values(), c));
    }
    endpoint.unsubscribeAcknowledge(packetId, out, MqttProperties.NO_PROPERTIES);
  }

  @Override
  public MqttProperties publishProperties(
      PublishedMessage m, int[] subscriptionIds, long nowMillis) {
    long expiry = m.remainingExpirySeconds(nowMillis);
    if (m.payloadFormat() < 0
        && expiry < 0
        && m.contentType() == null
        && m.responseTopic() == null
        && m.correlationData() == null
        && m.userProperties().isEmpty()
        && subscriptionIds.length == 0) {
      // most messages carry none: the shared empty set, not a new one per delivery
      return MqttProperties.NO_PROPERTIES;
    }
    MqttProperties p = new MqttProperties();
    if (m.payloadFormat() >= 0) {
      p.add(new IntegerProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR, m.payloadFormat()));
    }
    if (expiry >= 0) {
      p.add(new IntegerProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL, (int) expiry));
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
      for (PublishedMessage.UserProperty u : m.userProperties()) {
        up.add(u.name(), u.value());
      }
      p.add(up);
    }
    for (int id : subscriptionIds) {
      p.add(new IntegerProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER, id));
    }
    return p;
  }

  @Override
  public void refusePublish(
      MqttEndpoint endpoint,
      int packetId,
      int qos,
      ReasonCode reason,
      ReasonCode disconnectForQos0) {
    if (qos == 1) {
      puback(endpoint, packetId, reason);
    } else if (qos == 2) {
      pubrec(endpoint, packetId, reason);
    } else if (disconnectForQos0 != null) {
      disconnect(endpoint, disconnectForQos0, MqttProperties.NO_PROPERTIES);
    }
  }

  @Override
  public long encodedPublishSize(PublishedMessage m, int qos, MqttProperties properties) {
    List<? extends MqttProperties.MqttProperty> ids =
        properties.getProperties(MqttProperties.SUBSCRIPTION_IDENTIFIER);
    return MqttPacketSize.publish(
        m, qos, ids.stream().mapToInt(id -> (Integer) id.value()).toArray());
  }

  /** vertx-mqtt's SUBACK/UNSUBACK enums have no lookup by value. */
  private static <T extends io.vertx.mqtt.messages.codes.MqttReasonCode> T codeOf(
      T[] values, ReasonCode c) {
    for (T v : values) {
      if (v.value() == c.byteValue()) {
        return v;
      }
    }
    throw new IllegalArgumentException("no such reason code for this packet: " + c);
  }
}
