package io.mqttgrid.mqtt;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.session.SessionRecord;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.MqttPacketSize;
import io.mqttgrid.wire.ReasonCode;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.mqtt.MqttEndpoint;
import java.util.ArrayList;
import java.util.List;

/** MQTT 3.1 and 3.1.1: no reason codes beyond CONNACK and SUBACK, no properties. */
final class MqttV3Adapter implements ProtocolAdapter {

  static final MqttV3Adapter INSTANCE = new MqttV3Adapter();

  private MqttV3Adapter() {}

  @Override
  public String name() {
    return "3.1.1";
  }

  @Override
  public long requestedSessionExpiry(MqttEndpoint endpoint) {
    return endpoint.isCleanSession() ? 0 : SessionRecord.NEVER_EXPIRES;
  }

  @Override
  public boolean acceptsEmptyClientId(boolean cleanSession) {
    return cleanSession;
  }

  @Override
  public boolean hasServerKeepAlive() {
    return false;
  }

  @Override
  public boolean sharedSubscriptionsAvailable() {
    return false;
  }

  @Override
  public MqttProperties connackProperties(
      MqttLimits limits, boolean announceKeepAlive, long grantedExpiry, String assignedClientId) {
    return MqttProperties.NO_PROPERTIES;
  }

  @Override
  public void refuseConnect(MqttEndpoint endpoint, ReasonCode reason) {
    if (reason == ReasonCode.MALFORMED_PACKET || reason == ReasonCode.PROTOCOL_ERROR) {
      endpoint.close(); // MQTT-3.1.4-1: close without CONNACK
      return;
    }
    endpoint.reject(MqttConnectReturnCode.valueOf((byte) reason.v3ConnectReturnCode()));
  }

  @Override
  public void disconnect(MqttEndpoint endpoint, ReasonCode reason, MqttProperties properties) {
    if (endpoint.isConnected()) {
      endpoint.close();
    }
  }

  @Override
  public void puback(MqttEndpoint endpoint, int packetId, ReasonCode reason) {
    endpoint.publishAcknowledge(packetId);
  }

  @Override
  public void pubrec(MqttEndpoint endpoint, int packetId, ReasonCode reason) {
    endpoint.publishReceived(packetId);
  }

  @Override
  public void pubcomp(MqttEndpoint endpoint, int packetId, ReasonCode reason) {
    endpoint.publishComplete(packetId);
  }

  @Override
  public void pubrel(MqttEndpoint endpoint, int packetId, ReasonCode reason) {
    endpoint.publishRelease(packetId);
  }

  @Override
  public void suback(MqttEndpoint endpoint, int packetId, List<ReasonCode> codes) {
    List<MqttQoS> granted = new ArrayList<>(codes.size());
    for (ReasonCode c : codes) {
      granted.add(c.isError() ? MqttQoS.FAILURE : MqttQoS.valueOf(c.value));
    }
    endpoint.subscribeAcknowledge(packetId, granted);
  }

  @Override
  public void unsuback(MqttEndpoint endpoint, int packetId, List<ReasonCode> codes) {
    endpoint.unsubscribeAcknowledge(packetId);
  }

  @Override
  public MqttProperties publishProperties(
      PublishedMessage message, int[] subscriptionIds, long nowMillis) {
    return MqttProperties.NO_PROPERTIES;
  }

  @Override
  public void refusePublish(
      MqttEndpoint endpoint,
      int packetId,
      int qos,
      ReasonCode reason,
      ReasonCode disconnectForQos0) {
    if (endpoint.isConnected()) {
      endpoint.close();
    }
  }

  @Override
  public long encodedPublishSize(PublishedMessage message, int qos, MqttProperties properties) {
    return MqttPacketSize.publishV311(message, qos);
  }
}
