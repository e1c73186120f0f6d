package io.mqttgrid.mqtt;

/**
 * What a client's CONNECT settled for the life of its connection: the client identifier (its own or
 * the one the server assigned), the Session Expiry it asked for, and the limits it set on what the
 * server sends it (Receive Maximum, Maximum Packet Size; MQTT 5 section 3.1.2.11). Filled by {@link
 * ConnectHandshake} as it reads the CONNECT; read by the connection afterwards.
 */
final class ConnectTerms {

  /** MQTT 5 section 3.1.2.11.3: absent Receive Maximum means 65,535. */
  static final int DEFAULT_RECEIVE_MAXIMUM = 65_535;

  /** Null until the CONNECT's identifier is read (a refusal before that names no client). */
  String clientId;

  boolean assignedClientId;

  /** The Session Expiry Interval the CONNECT asked for, before the server's cap. */
  long requestedExpiry;

  int clientReceiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
  long clientMaxPacketSize = Long.MAX_VALUE;
}
