package io.mqttgrid.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.BrokerConfig;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.mqttgrid.wire.MqttLimits;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The mapping of spec section 5.1 from an HTTP request to an MQTT message, and every refusal of it.
 */
class HttpPublishRequestTest {

  private static final MqttLimits DEFAULTS = BrokerConfig.of(Map.of()).limits;
  private static final String SEED_USER_PROPERTIES =
      "[{\"Urgency\":\"alert\"},{\"RequestId\":\"55f4a7ee-b0b4-4d7f-8eb5-2edba2ced5d7\"}]";

  /**
   * A request under construction: raw query string, headers as HTTP/1.1 parsers hand them out,
   * body.
   */
  private static final class Request {
    String query = "api-version=2025-02-15-preview&topic=devices%2Fd1%2Fprompt";
    final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    byte[] body = new byte[0];
    MqttLimits limits = DEFAULTS;

    Request query(String q) {
      query = q;
      return this;
    }

    Request header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** A header value as UTF-8 bytes on the wire, as the parser sees them (one char per byte). */
    Request utf8Header(String name, String value) {
      headers.put(
          name, new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
      return this;
    }

    Request body(byte[] b) {
      body = b;
      return this;
    }

    Request limits(MqttLimits l) {
      limits = l;
      return this;
    }

    HttpPublishRequest parse() {
      return HttpPublishRequest.parse(headers::get, UrlText.queryParameters(query), body, limits);
    }
  }

  private static Request request() {
    return new Request();
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> refused(
      Request r, int status, String code) {
    return assertThatThrownBy(r::parse)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).as("status of %s", e).isEqualTo(status);
              assertThat(e.code()).as("code of %s", e).isEqualTo(code);
              assertThat(e.toJson().getJsonObject("error").getString("message")).isNotBlank();
            });
  }

  private static MqttLimits limits(Map<String, String> overrides) {
    return BrokerConfig.of(overrides).limits;
  }

  @Test
  void theSeedsPostmanRequestMapsOntoEveryProperty() {
    HttpPublishRequest r =
        request()
            .query("topic=devices%2FCXa-23112%2Fprompt&api-version=2025-02-15-preview")
            .header("mqtt-qos", "1")
            .header("mqtt-retain", "0")
            .header("mqtt-response-topic", "devices%2FCXa-23112%2Freply")
            .header("mqtt-correlation-data", "PlXCscK2wrbCuy8=")
            .header("mqtt-user-properties", SEED_USER_PROPERTIES)
            .header("Content-Type", "text/plain;charset=UTF-8")
            .body("Please accept terms of licensing and agreement".getBytes(StandardCharsets.UTF_8))
            .parse();
    assertThat(r.topic()).isEqualTo("devices/CXa-23112/prompt");
    assertThat(r.qos()).isEqualTo(1);
    assertThat(r.retain()).isFalse();
    assertThat(r.responseTopic()).isEqualTo("devices/CXa-23112/reply");
    assertThat(r.correlationData()).isEqualTo(Base64.getDecoder().decode("PlXCscK2wrbCuy8="));
    assertThat(r.userProperties())
        .containsExactly(
            new UserProperty("Urgency", "alert"),
            new UserProperty("RequestId", "55f4a7ee-b0b4-4d7f-8eb5-2edba2ced5d7"));
    assertThat(r.contentType()).isEqualTo("text/plain;charset=UTF-8");
    assertThat(r.expirySeconds()).isEqualTo(-1);
    assertThat(r.payloadFormat()).isEqualTo(-1);
    assertThat(new String(r.payload(), StandardCharsets.UTF_8))
        .isEqualTo("Please accept terms of licensing and agreement");
  }

  @Test
  void theSeedsCurlTopicWithAnInvalidEscapeKeepsTheEscapeLiterally() {
    HttpPublishRequest r =
        request()
            .query("topic=devices%2XXXX-0000%2Fprompt&api-version=2025-02-15-preview")
            .header("mqtt-response-topic", "devices%2XXXX-00000%2Freply")
            .parse();
    assertThat(r.topic()).isEqualTo("devices%2XXXX-0000/prompt");
    assertThat(r.responseTopic()).isEqualTo("devices%2XXXX-00000/reply");
  }

  @Test
  void defaultsAreQos1NotRetainedWithoutProperties() {
    HttpPublishRequest r = request().parse();
    assertThat(r.qos()).isEqualTo(1);
    assertThat(r.retain()).isFalse();
    assertThat(r.responseTopic()).isNull();
    assertThat(r.correlationData()).isNull();
    assertThat(r.userProperties()).isEmpty();
    assertThat(r.contentType()).isNull();
    assertThat(r.payload()).isEmpty();
    PublishedMessage m = r.toMessage("id-1", "backend", 1_000);
    assertThat(m.expiresAtMillis()).isZero();
    assertThat(m.payloadFormat()).isEqualTo(-1);
    assertThat(m.publisherClientId()).isEqualTo("backend");
    assertThat(m.createdAtMillis()).isEqualTo(1_000);
  }

  @Test
  void theDefaultQosIsLoweredToTheBrokersMaximum() {
    assertThat(request().limits(limits(Map.of("limits.max-qos", "0"))).parse().qos()).isZero();
  }

  @ParameterizedTest
  @CsvSource({
    "qos=0, , 0",
    "qos=1, , 1",
    ", 0, 0",
    ", 1, 1",
    "qos=0, 1, 0",
    "qos=1, 0, 1",
    "qos=2, 0, 2",
    ", 2, 2"
  })
  void qosComesFromTheQueryOverTheHeader(String query, String header, int expected) {
    Request r = request();
    if (query != null) {
      r.query(r.query + "&" + query);
    }
    if (header != null) {
      r.header("mqtt-qos", header);
    }
    assertThat(r.parse().qos()).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({
    "retain=1, , true",
    "retain=0, 1, false",
    ", 1, true",
    ", 0, false",
    "retain=1, 0, true"
  })
  void retainComesFromTheQueryOverTheHeader(String query, String header, boolean expected) {
    Request r = request();
    if (query != null) {
      r.query(r.query + "&" + query);
    }
    if (header != null) {
      r.header("mqtt-retain", header);
    }
    assertThat(r.parse().retain()).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"3", "-1", "one", "1.0", "01x", " "})
  void aQosOtherThan012IsRefused(String qos) {
    refused(
        request().header("mqtt-qos", qos + "x".repeat(qos.isBlank() ? 1 : 0)), 400, "InvalidQos");
  }

  @Test
  void qos2IsRefusedWhereTheBrokerAllowsOnlyQos1() {
    refused(
            request().header("mqtt-qos", "2").limits(limits(Map.of("limits.max-qos", "1"))),
            400,
            "InvalidQos")
        .hasMessageContaining("up to 1");
    refused(
        request().query(request().query + "&qos=1").limits(limits(Map.of("limits.max-qos", "0"))),
        400,
        "InvalidQos");
  }

  @ParameterizedTest
  @ValueSource(strings = {"2", "true", "yes", "-0"})
  void aRetainOtherThan01IsRefused(String retain) {
    refused(request().header("mqtt-retain", retain), 400, "InvalidRetain");
    refused(request().query(request().query + "&retain=" + retain), 400, "InvalidRetain");
  }

  @Test
  void retainIsRefusedWhereRetainedMessagesAreOff() {
    refused(
        request()
            .header("mqtt-retain", "1")
            .limits(limits(Map.of("limits.retain-available", "false"))),
        400,
        "RetainNotSupported");
    assertThat(
            request()
                .header("mqtt-retain", "0")
                .limits(limits(Map.of("limits.retain-available", "false")))
                .parse()
                .retain())
        .isFalse();
  }

  @Test
  void aMissingTopicIsRefused() {
    refused(request().query("api-version=2025-02-15-preview"), 400, "InvalidTopic")
        .hasMessageContaining("required");
    refused(request().query("api-version=2025-02-15-preview&topic="), 400, "InvalidTopic");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a%2F%2B%2Fb", "a%2F%23", "%23", "%2B", "a%00b", "a%FFb", "a%C3"})
  void aTopicWithWildcardsNulOrBrokenUtf8IsRefused(String topic) {
    refused(request().query("api-version=2025-02-15-preview&topic=" + topic), 400, "InvalidTopic");
  }

  @Test
  void aTopicLongerThan256BytesOrDeeperThan15LevelsIsRefused() {
    String levels15 = String.join("%2F", java.util.Collections.nCopies(15, "l"));
    assertThat(request().query("api-version=2025-02-15-preview&topic=" + levels15).parse().topic())
        .isEqualTo(String.join("/", java.util.Collections.nCopies(15, "l")));
    refused(
            request().query("api-version=2025-02-15-preview&topic=" + levels15 + "%2Fl"),
            400,
            "InvalidTopic")
        .hasMessageContaining("15 levels");
    assertThat(
            request()
                .query("api-version=2025-02-15-preview&topic=" + "a".repeat(256))
                .parse()
                .topic())
        .hasSize(256);
    refused(
            request().query("api-version=2025-02-15-preview&topic=" + "a".repeat(257)),
            400,
            "InvalidTopic")
        .hasMessageContaining("256 bytes");
    // 86 three-byte characters: 258 bytes, 86 characters
    refused(
        request().query("api-version=2025-02-15-preview&topic=" + "%E2%82%AC".repeat(86)),
        400,
        "InvalidTopic");
  }

  @Test
  void aReservedDollarTopicIsForbidden() {
    refused(
        request().query("api-version=2025-02-15-preview&topic=%24SYS%2Fbroker"), 403, "Forbidden");
    refused(request().query("api-version=2025-02-15-preview&topic=$events"), 403, "Forbidden");
  }

  @Test
  void topicsArePercentDecodedAsUtf8AndPlusIsASpace() {
    assertThat(
            request()
                .query("api-version=2025-02-15-preview&topic=caf%C3%A9%2F%E2%82%AC")
                .parse()
                .topic())
        .isEqualTo("café/€");
    assertThat(request().query("api-version=2025-02-15-preview&topic=a+b%2Fc").parse().topic())
        .isEqualTo("a b/c");
    assertThat(request().query("api-version=2025-02-15-preview&topic=a/b").parse().topic())
        .isEqualTo("a/b");
  }

  @Test
  void theFirstOfRepeatedQueryParametersCounts() {
    assertThat(
            request()
                .query("api-version=2025-02-15-preview&topic=first&topic=second")
                .parse()
                .topic())
        .isEqualTo("first");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2025-02-15-preview",
        "2025-08-01-preview",
        "2025-11-16-preview",
        "2026-04-01",
        "2030-01-01-preview",
        "2025-02-15"
      })
  void theSeedsAndLaterApiVersionsAreAccepted(String version) {
    assertThat(request().query("topic=t&api-version=" + version).parse().topic()).isEqualTo("t");
  }

  @Test
  void aMissingOrOlderApiVersionIsRefused() {
    refused(request().query("topic=t"), 400, "MissingApiVersion");
    refused(request().query("topic=t&api-version="), 400, "MissingApiVersion");
    refused(
        request().query("topic=t&api-version=2024-06-01-preview"), 400, "UnsupportedApiVersion");
    refused(
        request().query("topic=t&api-version=2025-02-14-preview"), 400, "UnsupportedApiVersion");
    refused(request().query("topic=t&api-version=latest"), 400, "UnsupportedApiVersion");
    refused(request().query("topic=t&api-version=2025-13-01"), 400, "UnsupportedApiVersion");
  }

  @Test
  void theResponseTopicIsPercentDecodedAndMustBeATopicName() {
    assertThat(request().header("mqtt-response-topic", "replies/d1").parse().responseTopic())
        .isEqualTo("replies/d1");
    assertThat(
            request().header("mqtt-response-topic", "r%C3%A9ponse%2Fa%20b").parse().responseTopic())
        .isEqualTo("réponse/a b");
    // in a header '+' is itself, not a space: a wildcard
    refused(request().header("mqtt-response-topic", "a+b"), 400, "InvalidResponseTopic");
    refused(request().header("mqtt-response-topic", "replies/+"), 400, "InvalidResponseTopic");
    refused(request().header("mqtt-response-topic", "replies%2F%23"), 400, "InvalidResponseTopic");
    refused(request().header("mqtt-response-topic", "bad%FF"), 400, "InvalidResponseTopic");
    refused(request().header("mqtt-response-topic", "x".repeat(257)), 400, "InvalidResponseTopic");
  }

  @Test
  void correlationDataIsBase64WithOrWithoutPadding() {
    byte[] bytes = {0, 1, 2, (byte) 0xFF, (byte) 0xFE};
    String b64 = Base64.getEncoder().encodeToString(bytes);
    assertThat(request().header("mqtt-correlation-data", b64).parse().correlationData())
        .isEqualTo(bytes);
    assertThat(
            request()
                .header("mqtt-correlation-data", b64.replace("=", ""))
                .parse()
                .correlationData())
        .isEqualTo(bytes);
    refused(
        request().header("mqtt-correlation-data", "not base64!"), 400, "InvalidCorrelationData");
    refused(request().header("mqtt-correlation-data", "A"), 400, "InvalidCorrelationData");
    refused(request().header("mqtt-correlation-data", "-_-_"), 400, "InvalidCorrelationData");
  }

  @Test
  void userPropertiesAreRawJsonOrBase64OfItInOrderWithDuplicates() {
    String json = "[{\"a\":\"1\"},{\"b\":\"2\"},{\"a\":\"3\"},{\"é\":\"ü €\"},{\"empty\":\"\"}]";
    List<UserProperty> expected =
        List.of(
            new UserProperty("a", "1"),
            new UserProperty("b", "2"),
            new UserProperty("a", "3"),
            new UserProperty("é", "ü €"),
            new UserProperty("empty", ""));
    assertThat(request().utf8Header("mqtt-user-properties", json).parse().userProperties())
        .containsExactlyElementsOf(expected);
    String b64 = Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    assertThat(request().header("mqtt-user-properties", b64).parse().userProperties())
        .containsExactlyElementsOf(expected);
    assertThat(request().header("mqtt-user-properties", " [ ] ").parse().userProperties())
        .isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[{\"a\":\"1\"}",
        "[{\"a\":1}]",
        "[{\"a\":null}]",
        "[{\"a\":\"1\",\"b\":\"2\"}]",
        "[{}]",
        "[\"a\"]",
        "[[\"a\",\"b\"]]",
        "{\"a\":\"1\"}",
        "XXXXXXXXXXXX",
        "[{\"a\":\"\\u0000\"}]",
        "e2E6MX0="
      })
  void userPropertiesThatAreNotAnArrayOfSingleStringPairsAreRefused(String value) {
    refused(request().header("mqtt-user-properties", value), 400, "InvalidUserProperties");
  }

  @Test
  void base64UserPropertiesThatAreNotJsonAreRefused() {
    String b64 =
        Base64.getEncoder().encodeToString("[{\"a\":\"1\"},".getBytes(StandardCharsets.UTF_8));
    refused(request().header("mqtt-user-properties", b64), 400, "InvalidUserProperties");
  }

  @Test
  void contentTypeIsTakenAsSentIncludingUtf8() {
    assertThat(request().header("Content-Type", "application/json").parse().contentType())
        .isEqualTo("application/json");
    assertThat(request().utf8Header("content-type", "text/plain; name=café").parse().contentType())
        .isEqualTo("text/plain; name=café");
    refused(request().header("Content-Type", "text/\u00ff"), 400, "InvalidContentType");
  }

  @Test
  void messageExpiryIsWholeSecondsAndZeroMeansNone() {
    HttpPublishRequest r = request().header("mqtt-message-expiry", "120").parse();
    assertThat(r.expirySeconds()).isEqualTo(120);
    assertThat(r.toMessage("i", "p", 10_000).expiresAtMillis()).isEqualTo(130_000);
    assertThat(request().header("mqtt-message-expiry", "4294967295").parse().expirySeconds())
        .isEqualTo(4294967295L);
    assertThat(
            request()
                .header("mqtt-message-expiry", "0")
                .parse()
                .toMessage("i", "p", 1)
                .expiresAtMillis())
        .isZero();
    for (String bad : List.of("-1", "4294967296", "1.5", "ten", "+5", "99999999999")) {
      refused(request().header("mqtt-message-expiry", bad), 400, "InvalidMessageExpiry");
    }
  }

  @Test
  void payloadFormatIndicatorIsKeptAndOneNeedsUtf8() {
    assertThat(
            request()
                .header("mqtt-payload-format-indicator", "0")
                .body(new byte[] {(byte) 0xFF})
                .parse()
                .payloadFormat())
        .isZero();
    assertThat(
            request()
                .header("mqtt-payload-format-indicator", "1")
                .body("héllo".getBytes(StandardCharsets.UTF_8))
                .parse()
                .payloadFormat())
        .isEqualTo(1);
    refused(
        request().header("mqtt-payload-format-indicator", "1").body(new byte[] {(byte) 0xC3}),
        400,
        "PayloadFormatInvalid");
    refused(
        request().header("mqtt-payload-format-indicator", "2"),
        400,
        "InvalidPayloadFormatIndicator");
  }

  @Test
  void emptyMqttHeadersCountAsAbsent() {
    HttpPublishRequest r =
        request()
            .header("mqtt-qos", "")
            .header("mqtt-retain", "")
            .header("mqtt-response-topic", "")
            .header("mqtt-correlation-data", "")
            .header("mqtt-user-properties", "")
            .header("mqtt-message-expiry", "")
            .header("mqtt-payload-format-indicator", "")
            .parse();
    assertThat(r.qos()).isEqualTo(1);
    assertThat(r.responseTopic()).isNull();
    assertThat(r.correlationData()).isNull();
    assertThat(r.expirySeconds()).isEqualTo(-1);
    assertThat(r.payloadFormat()).isEqualTo(-1);
  }

  @Test
  void aMessageLargerThanTheMaximumPacketIsTooLarge() {
    int max = DEFAULTS.maxPacketSize();
    HttpPublishRequest fits = request().body(new byte[max - 64]).parse();
    assertThat(fits.mqttPacketSize()).isLessThanOrEqualTo(max);
    refused(request().body(new byte[max]), 413, "PayloadTooLarge");
    // the properties count too
    refused(
        request()
            .body(new byte[max - 64])
            .header("mqtt-correlation-data", Base64.getEncoder().encodeToString(new byte[100])),
        413,
        "PayloadTooLarge");
  }

  @Test
  void aRetainedPayloadAboveTheRetainedLimitIsTooLarge() {
    int max = DEFAULTS.maxRetainedPayload();
    assertThat(request().header("mqtt-retain", "1").body(new byte[max]).parse().retain()).isTrue();
    refused(request().header("mqtt-retain", "1").body(new byte[max + 1]), 413, "PayloadTooLarge");
    assertThat(request().header("mqtt-retain", "0").body(new byte[max + 1]).parse().retain())
        .isFalse();
  }

  @Test
  void theMqttPacketSizeIsThatOfTheEncodedPublish() {
    // fixed header 1 + remaining length 1; topic 2+1; packet id 2; properties length 1 + 0; payload
    // 3
    assertThat(
            request()
                .query("api-version=2025-02-15-preview&topic=t")
                .body(new byte[3])
                .parse()
                .mqttPacketSize())
        .isEqualTo(1 + 1 + 3 + 2 + 1 + 3);
    // + payload format 2, expiry 5, content type 1+2+4, response topic 1+2+1, correlation 1+2+2,
    // property 1+2+1+2+1
    HttpPublishRequest r =
        request()
            .query("api-version=2025-02-15-preview&topic=t&qos=0")
            .header("mqtt-payload-format-indicator", "0")
            .header("mqtt-message-expiry", "5")
            .header("Content-Type", "text")
            .header("mqtt-response-topic", "r")
            .header("mqtt-correlation-data", "AAA=")
            .header("mqtt-user-properties", "[{\"a\":\"b\"}]")
            .parse();
    long props = 2 + 5 + 7 + 4 + 5 + 7;
    assertThat(r.mqttPacketSize()).isEqualTo(1 + 1 + 3 + 1 + props);
  }

  @Test
  void errorsCarryAJsonBodyWithCodeAndMessage() {
    ApiException e =
        (ApiException)
            org.junit.jupiter.api.Assertions.assertThrows(
                ApiException.class,
                () -> request().query("topic=a%2F%2B&api-version=2025-02-15-preview").parse());
    assertThat(e.toJson().getJsonObject("error").getString("code")).isEqualTo("InvalidTopic");
    assertThat(e.toJson().getJsonObject("error").getString("message").toLowerCase(Locale.ROOT))
        .contains("wildcard");
  }

  @Test
  void queryParametersAreDecodedOnceAndKeptInOrder() {
    Map<String, byte[]> q = UrlText.queryParameters("b=2&a=%41&c&=x&d=%2");
    Map<String, String> text = new LinkedHashMap<>();
    q.forEach((k, v) -> text.put(k, new String(v, StandardCharsets.UTF_8)));
    assertThat(text)
        .containsExactly(
            Map.entry("b", "2"),
            Map.entry("a", "A"),
            Map.entry("c", ""),
            Map.entry("", "x"),
            Map.entry("d", "%2"));
    assertThat(UrlText.queryParameters("t=%2541").get("t"))
        .isEqualTo("%41".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void headerSafeTextEncodesOnlyWhatAHeaderCannotCarry() {
    assertThat(UrlText.headerSafe("factory/line1/state")).isEqualTo("factory/line1/state");
    assertThat(UrlText.headerSafe("café 100%")).isEqualTo("caf%C3%A9%20100%25");
  }
}
