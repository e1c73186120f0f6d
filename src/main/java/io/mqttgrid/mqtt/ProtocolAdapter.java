package io.mqttgrid.mqtt;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.ReasonCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.mqtt.MqttEndpoint;
import java.util.List;

/**
 * What differs between MQTT 3.1.1 and MQTT 5 on the wire, in one place: reason codes or their
 * absence, properties, and what a refusal looks like. The connection handler is written once
 * against this.
 */
interface ProtocolAdapter {

  static ProtocolAdapter forVersion(int protocolLevel) {
    return protocolLevel >= 5 ? MqttV5Adapter.INSTANCE : MqttV3Adapter.INSTANCE;
  }

  /** "3.1.1" or "5", for logs. */
  String name();

  /**
   * Session Expiry Interval the CONNECT asks for (MQTT 3.1.1: none for a clean session, else
   * unbounded).
   */
  long requestedSessionExpiry(MqttEndpoint endpoint);

  /**
   * Whether an empty client id may be given one by the server (MQTT-3.1.3-7, -3.1.3-8; MQTT 5
   * 3.1.3.1).
   */
  boolean acceptsEmptyClientId(boolean cleanSession);

  /** Whether a Server Keep Alive can be announced (and so enforced) for this version. */
  boolean hasServerKeepAlive();

  /** Shared subscriptions are MQTT 5 only (Event Grid's shared-subscription rules). */
  boolean sharedSubscriptionsAvailable();

  /**
   * CONNACK properties announcing the limits this broker enforces.
   *
   * @param grantedExpiry the capped Session Expiry Interval when it differs from the request, else
   *     -1
   * @param assignedClientId the client id the server chose, or null
   */
  MqttProperties connackProperties(
      MqttLimits limits, boolean announceKeepAlive, long grantedExpiry, String assignedClientId);

  /** CONNACK refusing the connection, then close. */
  void refuseConnect(MqttEndpoint endpoint, ReasonCode reason);

  /** Server-initiated end of the connection: DISCONNECT with a reason (v5) or just a close (v3). */
  void disconnect(MqttEndpoint endpoint, ReasonCode reason, MqttProperties properties);

  void puback(MqttEndpoint endpoint, int packetId, ReasonCode reason);

  void pubrec(MqttEndpoint endpoint, int packetId, ReasonCode reason);

  void pubcomp(MqttEndpoint endpoint, int packetId, ReasonCode reason);

  void pubrel(MqttEndpoint endpoint, int packetId, ReasonCode reason);

  /** SUBACK with one code per filter (granted QoS or a failure). */
  void suback(MqttEndpoint endpoint, int packetId, List<ReasonCode> codes);

  void unsuback(MqttEndpoint endpoint, int packetId, List<ReasonCode> codes);

  /** The properties a subscriber of this version receives with {@code message}. */
  MqttProperties publishProperties(PublishedMessage message, int[] subscriptionIds, long nowMillis);

  /**
   * A publish refused for {@code reason}. v5 answers QoS 1/2 with the reason in PUBACK/PUBREC; a
   * QoS 0 one is dropped, or ends the connection with {@code disconnectForQos0} when that is not
   * null. v3 has no negative acknowledgement, so the connection is closed (MQTT 3.1.1 section
   * 3.3.5).
   */
  void refusePublish(
      MqttEndpoint endpoint,
      int packetId,
      int qos,
      ReasonCode reason,
      ReasonCode disconnectForQos0);

  /** Bytes of the encoded PUBLISH, to honour a client's Maximum Packet Size. */
  long encodedPublishSize(PublishedMessage message, int qos, MqttProperties properties);
}
