package io.mqttgrid.http;

import static io.mqttgrid.publish.PublishRules.printable;

import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.publish.PublishRequest;
import io.mqttgrid.publish.PublishRules;
import io.mqttgrid.publish.PublishSource;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.mqttgrid.wire.MqttLimits;
import io.mqttgrid.wire.Utf8;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One {@code POST /mqtt/messages} read into the MQTT PUBLISH it stands for (Event Grid's HTTP
 * publish request), or refused with the reason: the HTTP adapter's translation in front of the
 * publish pipeline. Pure: headers, query and body in, a request or an {@link ApiException} out.
 * What a header must be to be read is checked here; what the message must be (topic name, QoS and
 * retain the broker supports, properties, sizes) is judged by {@link PublishRules} and answered as
 * {@link io.mqttgrid.publish.PublishRefusal} says.
 *
 * <p>Mapping: query {@code topic} (percent-encoded) is the topic name; query {@code qos} / header
 * {@code mqtt-qos} the QoS (default 1); query {@code retain} / header {@code mqtt-retain} RETAIN
 * (default 0), the query winning over the header; {@code mqtt-response-topic} (percent-encoded) the
 * Response Topic; {@code mqtt-correlation-data} (base64) the Correlation Data; {@code
 * mqtt-user-properties} (a JSON array of single-pair objects, raw or base64 of it) the User
 * Properties in their order, duplicates kept; {@code Content-Type} the Content Type; {@code
 * mqtt-message-expiry} the Message Expiry Interval in seconds (0 means no expiry, as Event Grid
 * documents it); {@code mqtt-payload-format-indicator} the Payload Format Indicator; the body the
 * payload. An {@code mqtt-*} header with an empty value counts as absent.
 *
 * @param expirySeconds Message Expiry Interval, -1 for none
 * @param payloadFormat Payload Format Indicator, -1 when absent
 */
public record HttpPublishRequest(
    String topic,
    int qos,
    boolean retain,
    String responseTopic,
    byte[] correlationData,
    List<UserProperty> userProperties,
    String contentType,
    long expirySeconds,
    int payloadFormat,
    byte[] payload)
    implements PublishRequest {

  public static final String QOS_HEADER = "mqtt-qos";
  public static final String RETAIN_HEADER = "mqtt-retain";
  public static final String RESPONSE_TOPIC_HEADER = "mqtt-response-topic";
  public static final String CORRELATION_DATA_HEADER = "mqtt-correlation-data";
  public static final String USER_PROPERTIES_HEADER = "mqtt-user-properties";
  public static final String MESSAGE_EXPIRY_HEADER = "mqtt-message-expiry";
  public static final String PAYLOAD_FORMAT_HEADER = "mqtt-payload-format-indicator";

  public HttpPublishRequest {
    userProperties = List.copyOf(userProperties);
  }

  /**
   * Reads a publish request and judges it by the publish rules: what the HTTP API answers for it
   * short of the caller's rights. The handler itself reads ({@link #read}) and leaves the judging
   * to the pipeline, which applies these same rules first; this is the pure form of both steps.
   *
   * @param header a header's value by (case-insensitive) name, null when absent
   * @param query the percent-decoded query parameters ({@link UrlText#queryParameters})
   * @throws ApiException 400 for a malformed request, 403 for a topic starting with '$', 413 when
   *     the message would exceed the maximum packet size (or, retained, the maximum retained
   *     payload)
   */
  public static HttpPublishRequest parse(
      Function<String, String> header, Map<String, byte[]> query, byte[] body, MqttLimits limits) {
    HttpPublishRequest request = read(header, query, body, limits);
    PublishPipeline.Refused refused = PublishRules.check(request, limits, PublishSource.Kind.HTTP);
    if (refused != null) {
      throw ApiException.refused(refused);
    }
    return request;
  }

  /**
   * Reads a publish request without judging the message it stands for: that is the pipeline's work.
   *
   * @throws ApiException 400 for a request that cannot be read (api-version, topic missing, a
   *     header that is not of its kind)
   */
  static HttpPublishRequest read(
      Function<String, String> header, Map<String, byte[]> query, byte[] body, MqttLimits limits) {
    ApiVersions.require(
        UrlText.parameter(query, "api-version", "UnsupportedApiVersion"),
        ApiVersions.PUBLISH_SINCE);
    String topic = UrlText.parameter(query, "topic", "InvalidTopic");
    if (topic == null) {
      throw missingTopic();
    }
    int qos =
        qos(
            override(UrlText.parameter(query, "qos", "InvalidQos"), header.apply(QOS_HEADER)),
            limits);
    boolean retain =
        retain(
            override(
                UrlText.parameter(query, "retain", "InvalidRetain"), header.apply(RETAIN_HEADER)));
    String responseTopic = responseTopic(present(header.apply(RESPONSE_TOPIC_HEADER)));
    byte[] correlation = correlationData(present(header.apply(CORRELATION_DATA_HEADER)));
    List<UserProperty> userProperties =
        userProperties(present(header.apply(USER_PROPERTIES_HEADER)));
    String contentType = contentType(present(header.apply("Content-Type")));
    long expiry = expiry(present(header.apply(MESSAGE_EXPIRY_HEADER)));
    int payloadFormat = payloadFormat(present(header.apply(PAYLOAD_FORMAT_HEADER)));
    return new HttpPublishRequest(
        topic,
        qos,
        retain,
        responseTopic,
        correlation,
        userProperties,
        contentType,
        expiry,
        payloadFormat,
        body);
  }

  /**
   * The {@code topic} query parameter of the retained-message API: required, and a topic name a
   * client may publish to.
   */
  static String topic(String topic, MqttLimits limits) {
    if (topic == null) {
      throw missingTopic();
    }
    PublishPipeline.Refused refused = PublishRules.topic(topic, limits, false);
    if (refused != null) {
      throw ApiException.refused(refused);
    }
    return topic;
  }

  private static ApiException missingTopic() {
    return ApiException.badRequest(
        "InvalidTopic",
        "the query parameter 'topic' is required (percent-encoded: " + "'/' as %2F)");
  }

  private static String override(String fromQuery, String fromHeader) {
    return fromQuery != null ? fromQuery : present(fromHeader);
  }

  private static String present(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static int qos(String value, MqttLimits limits) {
    if (value == null) {
      return Math.min(1, limits.maxQos());
    }
    int qos =
        switch (value.trim()) {
          case "0" -> 0;
          case "1" -> 1;
          case "2" -> 2;
          default ->
              throw ApiException.badRequest(
                  "InvalidQos",
                  "QoS must be 0 or 1"
                      + (limits.maxQos() >= 2 ? " or 2" : "")
                      + ", got '"
                      + printable(value)
                      + "'");
        };
    return qos;
  }

  private static boolean retain(String value) {
    if (value == null) {
      return false;
    }
    return switch (value.trim()) {
      case "0" -> false;
      case "1" -> true;
      default ->
          throw ApiException.badRequest(
              "InvalidRetain", "retain must be 0 or 1, got '" + printable(value) + "'");
    };
  }

  private static String responseTopic(String header) {
    if (header == null) {
      return null;
    }
    String topic = Utf8.decodeOrNull(UrlText.percentDecode(header, false));
    if (topic == null) {
      throw ApiException.badRequest(
          "InvalidResponseTopic",
          RESPONSE_TOPIC_HEADER + " is not valid UTF-8 once percent-decoded");
    }
    return topic;
  }

  private static byte[] correlationData(String header) {
    if (header == null) {
      return null;
    }
    try {
      return Base64.getDecoder().decode(header.trim());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(
          "InvalidCorrelationData",
          CORRELATION_DATA_HEADER
              + " must be base64 (RFC 4648, standard alphabet): "
              + e.getMessage());
    }
  }

  /**
   * Raw JSON when the value starts with '[' (the how-to's Postman sample), else base64 of it (the
   * concept page).
   */
  static List<UserProperty> userProperties(String header) {
    if (header == null) {
      return List.of();
    }
    String value = header.trim();
    String json;
    if (value.startsWith("[")) {
      json = UrlText.headerText(value);
      if (json == null) {
        throw ApiException.badRequest(
            "InvalidUserProperties", USER_PROPERTIES_HEADER + " is not valid UTF-8");
      }
    } else {
      byte[] decoded;
      try {
        decoded = Base64.getDecoder().decode(value);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest(
            "InvalidUserProperties",
            USER_PROPERTIES_HEADER + " must be a JSON array, or base64 of one: " + e.getMessage());
      }
      json = Utf8.decodeOrNull(decoded);
      if (json == null || !json.trim().startsWith("[")) {
        throw ApiException.badRequest(
            "InvalidUserProperties",
            USER_PROPERTIES_HEADER
                + " must be a JSON array such as [{\"name\":\"value\"}], or base64 of one");
      }
    }
    JsonArray array;
    try {
      array = new JsonArray(json);
    } catch (DecodeException e) {
      throw ApiException.badRequest(
          "InvalidUserProperties",
          USER_PROPERTIES_HEADER + " is not valid JSON: " + firstLine(e.getMessage()));
    }
    List<UserProperty> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      Object item = array.getValue(i);
      if (!(item instanceof JsonObject pair) || pair.size() != 1) {
        throw ApiException.badRequest(
            "InvalidUserProperties",
            USER_PROPERTIES_HEADER
                + " item "
                + i
                + " must be an object with exactly one name and value, e.g. {\"Urgency\":\"alert\"}");
      }
      String name = pair.fieldNames().iterator().next();
      if (!(pair.getValue(name) instanceof String value2)) {
        throw ApiException.badRequest(
            "InvalidUserProperties",
            USER_PROPERTIES_HEADER
                + " item "
                + i
                + ": the value of '"
                + printable(name)
                + "' must be a string");
      }
      out.add(new UserProperty(name, value2));
    }
    return out;
  }

  private static String contentType(String header) {
    if (header == null) {
      return null;
    }
    String text = UrlText.headerText(header);
    if (text == null) {
      throw ApiException.badRequest("InvalidContentType", "Content-Type must be UTF-8 text");
    }
    return text;
  }

  private static long expiry(String header) {
    if (header == null) {
      return -1;
    }
    String digits = header.trim();
    long seconds = digits.matches("[0-9]{1,10}") ? Long.parseLong(digits) : -1;
    if (seconds < 0) {
      throw ApiException.badRequest(
          "InvalidMessageExpiry",
          MESSAGE_EXPIRY_HEADER
              + " must be whole seconds from 0 to 4294967295, got '"
              + printable(header)
              + "'");
    }
    return seconds == 0 ? -1 : seconds;
  }

  private static int payloadFormat(String header) {
    if (header == null) {
      return -1;
    }
    return switch (header.trim()) {
      case "0" -> 0;
      case "1" -> 1;
      default ->
          throw ApiException.badRequest(
              "InvalidPayloadFormatIndicator",
              PAYLOAD_FORMAT_HEADER
                  + " must be 0 (bytes) or 1 (UTF-8 text), got '"
                  + printable(header)
                  + "'");
    };
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
