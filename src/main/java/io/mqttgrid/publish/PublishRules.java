package io.mqttgrid.publish;

import io.mqttgrid.publish.PublishPipeline.Refused;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.mqttgrid.routing.Topics;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.Utf8;
import java.util.List;

/**
 * What a message must be to be published on this broker, whoever sends it (MQTT 5 sections 1.5.4,
 * 3.3 and 4.7, and Event Grid's documented limits): pure, a request and the limits in, the first
 * rule it breaks out. The order is the one an MQTT client has always met: the QoS, the topic name,
 * retain, the properties, the payload, sizes.
 */
public final class PublishRules {

  /** The largest Message Expiry Interval: a four-byte integer. */
  static final long MAX_EXPIRY_SECONDS = 0xFFFF_FFFFL;

  private PublishRules() {}

  /**
   * The first rule {@code request} breaks, or null when it breaks none.
   *
   * @param kind the source: whether its transport already checked the encoding, whether it may use
   *     '$' topics
   */
  public static Refused check(PublishRequest request, MqttLimits limits, PublishSource.Kind kind) {
    if (request.qos() > limits.maxQos()) {
      return new Refused(
          PublishRefusal.QOS_NOT_SUPPORTED,
          "this broker accepts QoS up to " + limits.maxQos() + ", got " + request.qos());
    }
    Refused topic = topic(request.topic(), limits, kind.reservedTopics());
    if (topic != null) {
      return topic;
    }
    if (request.retain() && !limits.retainAvailable()) {
      return new Refused(
          PublishRefusal.RETAIN_NOT_SUPPORTED, "retained messages are turned off on this broker");
    }
    if (!kind.encodingChecked()) {
      Refused properties = properties(request, limits);
      if (properties != null) {
        return properties;
      }
    }
    if (request.payloadFormat() == 1 && !Utf8.isWellFormed(request.payload())) {
      return new Refused(
          PublishRefusal.PAYLOAD_FORMAT_INVALID,
          "the Payload Format Indicator is 1 but the payload " + "is not valid UTF-8");
    }
    if (!kind.encodingChecked()) {
      long size = request.mqttPacketSize();
      if (size > limits.maxPacketSize()) {
        return new Refused(
            PublishRefusal.PACKET_TOO_LARGE,
            "the message would be an MQTT packet of "
                + size
                + " bytes; the maximum is "
                + limits.maxPacketSize());
      }
    }
    if (request.retain() && request.payload().length > limits.maxRetainedPayload()) {
      return new Refused(
          PublishRefusal.RETAINED_TOO_LARGE,
          "a retained payload may have at most "
              + limits.maxRetainedPayload()
              + " bytes; this one has "
              + request.payload().length);
    }
    return null;
  }

  /**
   * Why {@code topic} may not be published to, or null: not a valid topic name within the limits,
   * or one of the broker's own ('$') unless {@code reservedAllowed}.
   */
  public static Refused topic(String topic, MqttLimits limits, boolean reservedAllowed) {
    Topics.Check check = Topics.checkName(topic, limits.maxTopicLength(), limits.maxTopicLevels());
    if (check != Topics.Check.OK) {
      PublishRefusal cause =
          switch (check) {
            case EMPTY -> PublishRefusal.TOPIC_EMPTY;
            case BAD_CHARACTER -> PublishRefusal.TOPIC_CHARACTER;
            case WILDCARD_IN_NAME -> PublishRefusal.TOPIC_WILDCARD;
            default -> PublishRefusal.TOPIC_BEYOND_LIMITS;
          };
      return new Refused(
          cause,
          "topic '"
              + printable(topic == null ? "" : topic)
              + "' is not a valid topic name: "
              + describe(check, limits));
    }
    if (!reservedAllowed && topic.startsWith("$")) {
      return new Refused(
          PublishRefusal.RESERVED_TOPIC, "topics starting with '$' are reserved for the broker");
    }
    return null;
  }

  /** The MQTT properties' rules that an MQTT listener checks as the packet arrives. */
  private static Refused properties(PublishRequest request, MqttLimits limits) {
    String responseTopic = request.responseTopic();
    if (responseTopic != null) {
      Topics.Check check =
          Topics.checkName(responseTopic, limits.maxTopicLength(), limits.maxTopicLevels());
      if (check != Topics.Check.OK) {
        return new Refused(
            PublishRefusal.RESPONSE_TOPIC_INVALID,
            "response topic '"
                + printable(responseTopic)
                + "' is not a valid topic name: "
                + describe(check, limits));
      }
    }
    List<UserProperty> userProperties = request.userProperties();
    for (int i = 0; i < userProperties.size(); i++) {
      UserProperty p = userProperties.get(i);
      if (p.name().indexOf('\u0000') >= 0 || p.value().indexOf('\u0000') >= 0) {
        return new Refused(
            PublishRefusal.USER_PROPERTIES_INVALID,
            "user property " + i + " contains U+0000, " + "which MQTT strings may not");
      }
    }
    if (request.contentType() != null && request.contentType().indexOf('\u0000') >= 0) {
      return new Refused(
          PublishRefusal.CONTENT_TYPE_INVALID,
          "the content type contains U+0000, which MQTT " + "strings may not");
    }
    if (request.expirySeconds() > MAX_EXPIRY_SECONDS) {
      return new Refused(
          PublishRefusal.MESSAGE_EXPIRY_INVALID,
          "the message expiry interval may be at most "
              + MAX_EXPIRY_SECONDS
              + " seconds, got "
              + request.expirySeconds());
    }
    return null;
  }

  /** Why a topic name or filter is not valid, in words. */
  public static String describe(Topics.Check check, MqttLimits limits) {
    return switch (check) {
      case EMPTY -> "it is empty";
      case TOO_LONG -> "it is longer than " + limits.maxTopicLength() + " bytes of UTF-8";
      case TOO_MANY_LEVELS -> "it has more than " + limits.maxTopicLevels() + " levels";
      case WILDCARD_IN_NAME -> "it contains a wildcard ('+' or '#')";
      case BAD_WILDCARD -> "a wildcard must fill a whole level, and '#' must be the last level";
      case BAD_CHARACTER -> "it contains U+0000 or U+FFFD";
      case BAD_SHARE -> "a shared subscription is not allowed here";
      case OK -> "it is valid";
    };
  }

  /** Echoes client text in a message safely: bounded, control characters escaped. */
  public static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 300; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.length() >= 300 ? b + "..." : b.toString();
  }
}
