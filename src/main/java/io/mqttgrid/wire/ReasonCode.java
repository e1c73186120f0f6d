package io.mqttgrid.wire;

/** MQTT 5 reason codes (section 2.4), named as the specification names them. */
public enum ReasonCode {
  SUCCESS(0x00),
  GRANTED_QOS_1(0x01),
  GRANTED_QOS_2(0x02),
  DISCONNECT_WITH_WILL_MESSAGE(0x04),
  NO_MATCHING_SUBSCRIBERS(0x10),
  NO_SUBSCRIPTION_EXISTED(0x11),
  UNSPECIFIED_ERROR(0x80),
  MALFORMED_PACKET(0x81),
  PROTOCOL_ERROR(0x82),
  IMPLEMENTATION_SPECIFIC_ERROR(0x83),
  UNSUPPORTED_PROTOCOL_VERSION(0x84),
  CLIENT_IDENTIFIER_NOT_VALID(0x85),
  BAD_USER_NAME_OR_PASSWORD(0x86),
  NOT_AUTHORIZED(0x87),
  SERVER_UNAVAILABLE(0x88),
  SERVER_BUSY(0x89),
  BANNED(0x8A),
  SERVER_SHUTTING_DOWN(0x8B),
  BAD_AUTHENTICATION_METHOD(0x8C),
  KEEP_ALIVE_TIMEOUT(0x8D),
  SESSION_TAKEN_OVER(0x8E),
  TOPIC_FILTER_INVALID(0x8F),
  TOPIC_NAME_INVALID(0x90),
  PACKET_IDENTIFIER_IN_USE(0x91),
  PACKET_IDENTIFIER_NOT_FOUND(0x92),
  RECEIVE_MAXIMUM_EXCEEDED(0x93),
  TOPIC_ALIAS_INVALID(0x94),
  PACKET_TOO_LARGE(0x95),
  MESSAGE_RATE_TOO_HIGH(0x96),
  QUOTA_EXCEEDED(0x97),
  ADMINISTRATIVE_ACTION(0x98),
  PAYLOAD_FORMAT_INVALID(0x99),
  RETAIN_NOT_SUPPORTED(0x9A),
  QOS_NOT_SUPPORTED(0x9B),
  USE_ANOTHER_SERVER(0x9C),
  SERVER_MOVED(0x9D),
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED(0x9E),
  CONNECTION_RATE_EXCEEDED(0x9F),
  SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED(0xA1),
  WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED(0xA2);

  public final int value;

  ReasonCode(int value) {
    this.value = value;
  }

  public byte byteValue() {
    return (byte) value;
  }

  public boolean isError() {
    return value >= 0x80;
  }

  /**
   * The MQTT 3.1.1 CONNACK return code for a refusal (section 3.2.2.3): 1 unacceptable protocol
   * version, 2 identifier rejected, 3 server unavailable, 4 bad user name or password, 5 not
   * authorized.
   */
  public int v3ConnectReturnCode() {
    return switch (this) {
      case UNSUPPORTED_PROTOCOL_VERSION -> 1;
      case CLIENT_IDENTIFIER_NOT_VALID -> 2;
      case BAD_USER_NAME_OR_PASSWORD -> 4;
      case NOT_AUTHORIZED, BANNED, BAD_AUTHENTICATION_METHOD -> 5;
      default -> 3;
    };
  }
}
