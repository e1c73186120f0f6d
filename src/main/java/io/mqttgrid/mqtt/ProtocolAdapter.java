package io.mqttgrid.mqtt;

import io.mqttgrid.routing.PublishedMessage;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.vertx.mqtt.MqttEndpoint;
import java.util.List;

/**
 * What differs between MQTT 3.1.1 and MQTT 5 on the wire, in one place: reason codes or their absence,
 * properties, and what a refusal looks like. The connection handler is written once against this.
 */
interface ProtocolAdapter {

  static ProtocolAdapter forVersion(int protocolLevel) {
    return protocolLevel >= 5 ? MqttV5Adapter.INSTANCE : MqttV3Adapter.INSTANCE;
  }

  boolean isV5();

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
   * A publish refused for {@code reason}. v5 answers QoS 1/2 with the reason in PUBACK/PUBREC and drops QoS 0;
   * v3 has no negative acknowledgement, so the connection is closed (MQTT 3.1.1 section 3.3.5).
   * Returns true when the connection stays open.
   */
  boolean refusePublish(MqttEndpoint endpoint, int packetId, int qos, ReasonCode reason);

  /** Bytes of the encoded PUBLISH, to honour a client's Maximum Packet Size. */
  long encodedPublishSize(PublishedMessage message, int qos, MqttProperties properties);
}
