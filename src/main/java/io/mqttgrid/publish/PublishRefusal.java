package io.mqttgrid.publish;

import io.mqttgrid.persistence.PersistenceException;
import io.mqttgrid.routing.QueueFullException;
import io.mqttgrid.wire.ReasonCode;

/**
 * Why the publish pipeline refused a message, or could not confirm it, with the one answer each
 * protocol gives for it: the MQTT 5 reason code and how an MQTT publisher gets it (and the
 * CONNACK's when a will breaks the rule), and the HTTP status and JSON error code of {@code POST
 * /mqtt/messages} (Event Grid's HTTP publish API). The HTTP API's own refusals of a request it
 * cannot read (api-version, a QoS that is not a number, base64, JSON) are not here: they happen
 * before there is a message.
 */
public enum PublishRefusal {

  /** A QoS above limits.max-qos (MQTT-3.2.2-11). */
  QOS_NOT_SUPPORTED(ReasonCode.QOS_NOT_SUPPORTED, MqttAnswer.DISCONNECT, 400, "InvalidQos"),
  /** An empty topic name, and no topic alias to stand for it. */
  TOPIC_EMPTY(ReasonCode.PROTOCOL_ERROR, MqttAnswer.DISCONNECT, 400, "InvalidTopic"),
  /** U+0000 or U+FFFD in the topic name: a malformed string (MQTT-1.5.4-1, -1.5.4-2). */
  TOPIC_CHARACTER(ReasonCode.MALFORMED_PACKET, MqttAnswer.DISCONNECT, 400, "InvalidTopic"),
  /** '+' or '#' in a topic name (MQTT-3.3.2-2). */
  TOPIC_WILDCARD(ReasonCode.TOPIC_NAME_INVALID, MqttAnswer.DISCONNECT, 400, "InvalidTopic"),
  /** A topic name longer or deeper than limits.max-topic-length / max-topic-levels. */
  TOPIC_BEYOND_LIMITS(ReasonCode.TOPIC_NAME_INVALID, MqttAnswer.REFUSE, 400, "InvalidTopic"),
  /**
   * A topic starting with '$': the broker's own; no client is ever granted one (Event Grid's
   * publish authorization outcomes).
   */
  RESERVED_TOPIC(ReasonCode.NOT_AUTHORIZED, MqttAnswer.REFUSE_QOS0_DROPPED, 403, "Forbidden"),
  /** RETAIN set where limits.retain-available is false. */
  RETAIN_NOT_SUPPORTED(
      ReasonCode.RETAIN_NOT_SUPPORTED, MqttAnswer.DISCONNECT, 400, "RetainNotSupported"),
  /** A Response Topic that is not a topic name (MQTT-3.3.2-14). */
  RESPONSE_TOPIC_INVALID(
      ReasonCode.PROTOCOL_ERROR, MqttAnswer.DISCONNECT, 400, "InvalidResponseTopic"),
  /** U+0000 in the Content Type (MQTT-1.5.4-2). */
  CONTENT_TYPE_INVALID(
      ReasonCode.MALFORMED_PACKET, MqttAnswer.DISCONNECT, 400, "InvalidContentType"),
  /** U+0000 in a User Property (MQTT-1.5.4-2). */
  USER_PROPERTIES_INVALID(
      ReasonCode.MALFORMED_PACKET, MqttAnswer.DISCONNECT, 400, "InvalidUserProperties"),
  /** A Message Expiry Interval beyond a four-byte integer of seconds. */
  MESSAGE_EXPIRY_INVALID(
      ReasonCode.MALFORMED_PACKET, MqttAnswer.DISCONNECT, 400, "InvalidMessageExpiry"),
  /** Payload Format Indicator 1 on a payload that is not UTF-8 (MQTT-3.3.2-4). */
  PAYLOAD_FORMAT_INVALID(
      ReasonCode.PAYLOAD_FORMAT_INVALID, MqttAnswer.REFUSE, 400, "PayloadFormatInvalid"),
  /** The message would be an MQTT packet above limits.max-packet-size. */
  PACKET_TOO_LARGE(ReasonCode.PACKET_TOO_LARGE, MqttAnswer.DISCONNECT, 413, "PayloadTooLarge"),
  /** A retained payload above limits.max-retained-payload. */
  RETAINED_TOO_LARGE(
      ReasonCode.QUOTA_EXCEEDED, MqttAnswer.REFUSE_QOS0_DROPPED, 413, "PayloadTooLarge"),
  /**
   * The publisher's rights ended (the namespace model changed); its connection, if it has one, is
   * closed.
   */
  PUBLISHER_GONE(ReasonCode.NOT_AUTHORIZED, MqttAnswer.NONE, 403, "Forbidden"),
  /**
   * The topic matches no topic space the publisher may publish to (Event Grid's publish
   * authorization outcomes).
   */
  NOT_AUTHORIZED(ReasonCode.NOT_AUTHORIZED, MqttAnswer.REFUSE_QOS0_DROPPED, 403, "Forbidden"),
  /** Above the publisher's rate (limits.publish-rate, publish-bytes-rate, http.publish-rate). */
  QUOTA_EXCEEDED(ReasonCode.QUOTA_EXCEEDED, MqttAnswer.REFUSE_QOS0_DROPPED, 429, "TooManyRequests"),
  /**
   * Accepted, but routing could not make it as durable as the acknowledgement promises (a node
   * died, a store failed, HTTP's http.publish-timeout passed): the acknowledgement says so instead
   * of success.
   */
  ROUTING_FAILED(ReasonCode.UNSPECIFIED_ERROR, MqttAnswer.ACKNOWLEDGE, 500, "InternalError"),
  /**
   * Accepted, but the state database could not store it (a retained message, or a message for an
   * offline persistent session), so it is not as durable as an acknowledgement promises. Not the
   * broker's fault and not lasting: HTTP says 503 with Retry-After; MQTT has no closer PUBACK code
   * than 0x80.
   */
  STORE_UNAVAILABLE(
      ReasonCode.UNSPECIFIED_ERROR, MqttAnswer.ACKNOWLEDGE, 503, "ServiceUnavailable"),
  /**
   * Accepted, but every session it matched had its queue full (session.max-queued-* offline,
   * session.max-pending-* online): nobody holds the message, and the publisher hears so rather than
   * success. An MQTT 3.1.1 PUBACK has no reason code to say it.
   */
  SUBSCRIBERS_FULL(ReasonCode.QUOTA_EXCEEDED, MqttAnswer.ACKNOWLEDGE, 507, "SubscriberQueueFull");

  /**
   * The refusal a publish that routing did not confirm maps to: its subscribers' queues were full,
   * or routing failed.
   */
  public static PublishRefusal ofRoutingFailure(Throwable cause) {
    if (cause instanceof QueueFullException) {
      return SUBSCRIBERS_FULL;
    }
    return PersistenceException.isCauseOf(cause) ? STORE_UNAVAILABLE : ROUTING_FAILED;
  }

  /** How an MQTT publisher learns of a refusal. */
  public enum MqttAnswer {
    /** DISCONNECT with the reason code, whatever the QoS. */
    DISCONNECT,
    /**
     * PUBACK (QoS 1) or PUBREC (QoS 2) with the reason code; at QoS 0, which has no
     * acknowledgement, a DISCONNECT with it. An MQTT 3.1.1 connection, which has no reason codes,
     * is closed.
     */
    REFUSE,
    /**
     * As {@link #REFUSE}, except that at QoS 0 the message is dropped and the connection stays
     * (Event Grid's publish authorization outcomes).
     */
    REFUSE_QOS0_DROPPED,
    /**
     * The acknowledgement of an accepted publish, in its turn among the others, carries the reason
     * code.
     */
    ACKNOWLEDGE,
    /** Nothing: the connection was already ended. */
    NONE
  }

  private final ReasonCode mqttReason;
  private final MqttAnswer mqttAnswer;
  private final int httpStatus;
  private final String httpCode;

  PublishRefusal(ReasonCode mqttReason, MqttAnswer mqttAnswer, int httpStatus, String httpCode) {
    this.mqttReason = mqttReason;
    this.mqttAnswer = mqttAnswer;
    this.httpStatus = httpStatus;
    this.httpCode = httpCode;
  }

  /** The MQTT 5 reason code of the PUBACK, PUBREC or DISCONNECT. */
  public ReasonCode mqttReason() {
    return mqttReason;
  }

  public MqttAnswer mqttAnswer() {
    return mqttAnswer;
  }

  /**
   * The CONNACK reason code when the will of a CONNECT breaks this rule (MQTT 5 section 3.2.2.2: a
   * will is judged with the CONNECT that carries it), or null when a will is not held to it at
   * CONNECT.
   */
  public ReasonCode mqttWillReason() {
    return switch (this) {
      case TOPIC_EMPTY, TOPIC_WILDCARD, TOPIC_BEYOND_LIMITS, RESERVED_TOPIC ->
          ReasonCode.TOPIC_NAME_INVALID;
      case TOPIC_CHARACTER, QOS_NOT_SUPPORTED, RETAIN_NOT_SUPPORTED, PAYLOAD_FORMAT_INVALID ->
          mqttReason;
      default -> null;
    };
  }

  /** The status of the HTTP answer. */
  public int httpStatus() {
    return httpStatus;
  }

  /**
   * The {@code error.code} of the HTTP answer's JSON body (the table is in the OpenAPI document).
   */
  public String httpCode() {
    return httpCode;
  }
}
