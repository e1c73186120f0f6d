package io.mqttgrid.http;

import static io.mqttgrid.http.HttpApiClient.PUBLISH_VERSION;
import static io.mqttgrid.http.HttpApiClient.errorCode;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.PrometheusScrape;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP publish on one node (spec section 5), against the broker's real wiring: tokens of a
 * CUSTOM-JWT issuer from the namespace file, permission bindings of that file, real MQTT 5 and
 * 3.1.1 subscribers.
 */
@WithBroker(value = "http.publish-rate=" + HttpPublishIT.RATE, configMethod = "trustTheTestIssuer")
class HttpPublishIT {

  /** http.publish-rate of the test broker; each test identity has its own bucket. */
  static final int RATE = 3;

  private static final String SEED_BODY = "Please accept terms of licensing and agreement";
  private static final String SEED_USER_PROPERTIES =
      "[{\"Urgency\":\"alert\"},{\"RequestId\":\"55f4a7ee-b0b4-4d7f-8eb5-2edba2ced5d7\"}]";

  @TempDir static Path dir;
  static TestTokens tokens;
  static TestBroker broker;
  static HttpApiClient http;

  static Map<String, String> trustTheTestIssuer() throws Exception {
    tokens = TestTokens.create();
    return Map.of("namespace.file", tokens.writeNamespace(dir).toString());
  }

  @BeforeAll
  static void start() {
    http = new HttpApiClient("127.0.0.1", broker.httpPort());
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close();
    }
  }

  private static Map<String, String> headers(String... pairs) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Authorization", "Bearer " + tokens.freshToken("backend"));
    for (int i = 0; i < pairs.length; i += 2) {
      h.put(pairs[i], pairs[i + 1]);
    }
    return h;
  }

  private static HttpResponse<Buffer> publish(
      String topic, Map<String, String> headers, String body) {
    return http.publish(
        "topic=" + topic + "&api-version=" + PUBLISH_VERSION,
        headers,
        body.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static List<String> userProperties(Mqtt5Publish m) {
    return m.getUserProperties().asList().stream()
        .map(p -> p.getName() + "=" + p.getValue())
        .toList();
  }

  @Test
  void
      theSeedsPostmanRequestReachesMqtt5SubscribersWithEveryPropertyAndMqtt311SubscribersAsThePlainMessage()
          throws Exception {
    Mqtt5BlockingClient sub5 = broker.v5("seed-sub5");
    Inbox<Mqtt5Publish> inbox5 =
        Inbox.connectAndSubscribe(sub5, "devices/CXa-23112/#", MqttQos.AT_LEAST_ONCE);
    Mqtt3BlockingClient sub3 = broker.v3("seed-sub3");
    Inbox<Mqtt3Publish> inbox3 =
        Inbox.connectAndSubscribe(sub3, "devices/CXa-23112/#", MqttQos.AT_LEAST_ONCE);

    // the collection's request, header for header (Postman and Bruno send exactly these)
    HttpResponse<Buffer> r =
        http.publish(
            "topic=devices%2FCXa-23112%2Fprompt&api-version=2025-02-15-preview",
            headers(
                "mqtt-qos",
                "1",
                "mqtt-retain",
                "0",
                "mqtt-response-topic",
                "devices%2FCXa-23112%2Freply",
                "mqtt-correlation-data",
                "PlXCscK2wrbCuy8=",
                "mqtt-user-properties",
                SEED_USER_PROPERTIES,
                "Content-Type",
                "text/plain;charset=UTF-8"),
            SEED_BODY.getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
    assertThat(r.body()).isNull();

    Mqtt5Publish m5 = inbox5.next();
    assertThat(m5.getTopic().toString()).isEqualTo("devices/CXa-23112/prompt");
    assertThat(Inbox.text(m5)).isEqualTo(SEED_BODY);
    assertThat(m5.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    assertThat(m5.isRetain()).isFalse();
    assertThat(m5.getResponseTopic())
        .hasValueSatisfying(t -> assertThat(t.toString()).isEqualTo("devices/CXa-23112/reply"));
    assertThat(m5.getCorrelationData())
        .hasValueSatisfying(
            c -> assertThat(bytes(c)).isEqualTo(Base64.getDecoder().decode("PlXCscK2wrbCuy8=")));
    assertThat(userProperties(m5))
        .containsExactly("Urgency=alert", "RequestId=55f4a7ee-b0b4-4d7f-8eb5-2edba2ced5d7");
    assertThat(m5.getContentType())
        .hasValueSatisfying(t -> assertThat(t.toString()).isEqualTo("text/plain;charset=UTF-8"));
    assertThat(m5.getPayloadFormatIndicator()).isEmpty();
    assertThat(m5.getMessageExpiryInterval()).isEmpty();

    Mqtt3Publish m3 = inbox3.next();
    assertThat(m3.getTopic().toString()).isEqualTo("devices/CXa-23112/prompt");
    assertThat(Inbox.text(m3)).isEqualTo(SEED_BODY);
    assertThat(m3.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    sub5.disconnect();
    sub3.disconnect();
  }

  @Test
  void theSeedsCurlTopicWithItsPlaceholderEscapeIsPublishedLiterally() throws Exception {
    Mqtt5BlockingClient sub = broker.v5("curl-sub");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(sub, "devices%2XXXX-0000/#", MqttQos.AT_LEAST_ONCE);
    // the how-to's curl command, its redacted values (XXXX) filled in where they must be valid
    HttpResponse<Buffer> r =
        http.publish(
            "topic=devices%2XXXX-0000%2Fprompt&api-version=2025-02-15-preview",
            headers(
                "mqtt-qos",
                "1",
                "mqtt-retain",
                "0",
                "mqtt-response-topic",
                "devices%2XXXX-00000%2Freply",
                "mqtt-correlation-data",
                "XXXXXXX",
                "mqtt-user-properties",
                SEED_USER_PROPERTIES,
                "Content-Type",
                "text/plain;charset=UTF-8"),
            SEED_BODY.getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
    Mqtt5Publish m = inbox.next();
    assertThat(m.getTopic().toString()).isEqualTo("devices%2XXXX-0000/prompt");
    assertThat(m.getResponseTopic())
        .hasValueSatisfying(t -> assertThat(t.toString()).isEqualTo("devices%2XXXX-00000/reply"));
    assertThat(m.getCorrelationData())
        .hasValueSatisfying(
            c -> assertThat(bytes(c)).isEqualTo(Base64.getDecoder().decode("XXXXXXX")));
    sub.disconnect();
  }

  @Test
  void expiryPayloadFormatBase64UserPropertiesAndUtf8TextReachMqtt5Subscribers() throws Exception {
    Mqtt5BlockingClient sub = broker.v5("props-sub");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(sub, "devices/props/#", MqttQos.EXACTLY_ONCE);
    String json =
        "[{\"k\":\"1\"},{\"dup\":\"a\"},{\"k\":\"2\"},{\"dup\":\"a\"},{\"ünï\":\"cödé €\"}]";
    HttpResponse<Buffer> r =
        http.publish(
            "topic=devices%2Fprops%2Fcaf%C3%A9&api-version=2025-08-01-preview&qos=2",
            headers(
                "mqtt-message-expiry",
                "3600",
                "mqtt-payload-format-indicator",
                "1",
                "mqtt-user-properties",
                Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)),
                "mqtt-response-topic",
                "r%C3%A9ponses%2F1",
                "Content-Type",
                "application/json"),
            "{\"température\": 21.5}".getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
    Mqtt5Publish m = inbox.next();
    assertThat(m.getTopic().toString()).isEqualTo("devices/props/café");
    assertThat(m.getQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
    assertThat(Inbox.text(m)).isEqualTo("{\"température\": 21.5}");
    assertThat(m.getPayloadFormatIndicator()).contains(Mqtt5PayloadFormatIndicator.UTF_8);
    assertThat(m.getMessageExpiryInterval().orElseThrow()).isBetween(3590L, 3600L);
    assertThat(userProperties(m)).containsExactly("k=1", "dup=a", "k=2", "dup=a", "ünï=cödé €");
    assertThat(m.getResponseTopic())
        .hasValueSatisfying(t -> assertThat(t.toString()).isEqualTo("réponses/1"));
    assertThat(m.getContentType())
        .hasValueSatisfying(t -> assertThat(t.toString()).isEqualTo("application/json"));
    assertThat(m.getCorrelationData()).isEmpty();

    // payload format 0 is sent as 0, not left out
    r =
        publish(
            "devices%2Fprops%2Fbinary",
            headers("mqtt-payload-format-indicator", "0", "mqtt-qos", "0"), "\u0001");
    assertThat(r.statusCode()).isEqualTo(204);
    m = inbox.next();
    assertThat(m.getPayloadFormatIndicator()).contains(Mqtt5PayloadFormatIndicator.UNSPECIFIED);
    assertThat(m.getQos()).isEqualTo(MqttQos.AT_MOST_ONCE);
    sub.disconnect();
  }

  @Test
  void queryParametersOverrideHeadersForQosAndRetain() throws Exception {
    Mqtt5BlockingClient sub = broker.v5("override-sub");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(sub, "retained/override/#", MqttQos.AT_LEAST_ONCE);
    HttpResponse<Buffer> r =
        http.publish(
            "topic=retained%2Foverride%2Fstate&api-version=" + PUBLISH_VERSION + "&qos=0&retain=1",
            headers("mqtt-qos", "1", "mqtt-retain", "0"),
            "on".getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
    Mqtt5Publish live = inbox.next();
    assertThat(live.getQos()).isEqualTo(MqttQos.AT_MOST_ONCE);

    // retained: a subscriber that comes later gets it
    Mqtt5BlockingClient late = broker.v5("override-late");
    Inbox<Mqtt5Publish> lateInbox =
        Inbox.connectAndSubscribe(late, "retained/override/state", MqttQos.AT_LEAST_ONCE);
    Mqtt5Publish retained = lateInbox.next();
    assertThat(retained.isRetain()).isTrue();
    assertThat(Inbox.text(retained)).isEqualTo("on");

    // and an empty retained publish clears it (the header alone decides when the query does not
    // say)
    r =
        http.publish(
            "topic=retained%2Foverride%2Fstate&api-version=" + PUBLISH_VERSION,
            headers("mqtt-retain", "1"),
            new byte[0]);
    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(broker.broker().vertx()).isNotNull();
    Mqtt5BlockingClient later = broker.v5("override-later");
    Inbox<Mqtt5Publish> laterInbox =
        Inbox.connectAndSubscribe(later, "retained/override/#", MqttQos.AT_LEAST_ONCE);
    later.publishWith().topic("retained/override/sentinel").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(laterInbox.topicsUntil("retained/override/sentinel")).isEmpty();
    sub.disconnect();
    late.disconnect();
    later.disconnect();
  }

  @Test
  void aQos1PublishToOfflinePersistentSessionsIsDeliveredWhenTheyReconnect() throws Exception {
    Mqtt5BlockingClient v5 = broker.v5("offline-v5");
    v5.connectWith().cleanStart(true).sessionExpiryInterval(600).send();
    v5.subscribeWith().topicFilter("devices/offline/#").qos(MqttQos.AT_LEAST_ONCE).send();
    v5.disconnect();
    Mqtt3BlockingClient v3 = broker.v3("offline-v3");
    v3.connectWith().cleanSession(false).send();
    v3.subscribeWith().topicFilter("devices/offline/#").qos(MqttQos.AT_LEAST_ONCE).send();
    v3.disconnect();

    HttpResponse<Buffer> r =
        publish(
            "devices%2Foffline%2Fcmd",
            headers("mqtt-correlation-data", "AQID", "mqtt-user-properties", "[{\"a\":\"b\"}]"),
            "wake up");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);

    Mqtt5BlockingClient back5 = broker.v5("offline-v5");
    Inbox<Mqtt5Publish> inbox5 = Inbox.of(back5);
    assertThat(
            back5
                .connectWith()
                .cleanStart(false)
                .sessionExpiryInterval(600)
                .send()
                .isSessionPresent())
        .isTrue();
    Mqtt5Publish m = inbox5.next();
    assertThat(Inbox.text(m)).isEqualTo("wake up");
    assertThat(m.getCorrelationData())
        .hasValueSatisfying(c -> assertThat(bytes(c)).containsExactly(1, 2, 3));
    assertThat(userProperties(m)).containsExactly("a=b");
    back5.disconnectWith().sessionExpiryInterval(0).send();

    Mqtt3BlockingClient back3 = broker.v3("offline-v3");
    Inbox<Mqtt3Publish> inbox3 = Inbox.of(back3);
    assertThat(back3.connectWith().cleanSession(false).send().isSessionPresent()).isTrue();
    assertThat(Inbox.text(inbox3.next())).isEqualTo("wake up");
    back3.disconnect();
    broker.v3("offline-v3").connectWith().cleanSession(true).send();
  }

  @Test
  void thePublishersClientIdIsTheTokensAuthenticationName() throws Exception {
    String name = "backend-nolocal";
    // a subscriber with the publisher's client id and No Local does not get the message; another
    // does
    Mqtt5BlockingClient self = broker.v5(name);
    self.connect();
    Inbox<Mqtt5Publish> selfInbox = Inbox.of(self);
    self.subscribeWith()
        .topicFilter("devices/nolocal/#")
        .noLocal(true)
        .qos(MqttQos.AT_LEAST_ONCE)
        .send();
    self.subscribeWith().topicFilter("devices/sentinel/nolocal").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient other = broker.v5("nolocal-other");
    Inbox<Mqtt5Publish> otherInbox =
        Inbox.connectAndSubscribe(other, "devices/nolocal/#", MqttQos.AT_LEAST_ONCE);
    Map<String, String> h = new HashMap<>();
    h.put("Authorization", "Bearer " + tokens.token(name));
    assertThat(publish("devices%2Fnolocal%2F1", h, "x").statusCode()).isEqualTo(204);
    assertThat(Inbox.text(otherInbox.next())).isEqualTo("x");
    self.publishWith().topic("devices/sentinel/nolocal").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(selfInbox.topicsUntil("devices/sentinel/nolocal")).isEmpty();
    self.disconnect();
    other.disconnect();
  }

  @Test
  void httpPublishesAreCountedInTheEventGridPublishMetricsWithProtocolHttpPublish()
      throws Exception {
    PrometheusScrape before = PrometheusScrape.of(broker);
    Map<String, String> h = new HashMap<>();
    h.put("Authorization", "Bearer " + tokens.freshToken("metrics"));
    h.put("mqtt-qos", "0");
    assertThat(publish("devices%2Fmetrics%2Fa", h, "x").statusCode()).isEqualTo(204);
    h.put("mqtt-qos", "1");
    assertThat(publish("devices%2Fmetrics%2Fa", h, "xyz").statusCode()).isEqualTo(204);
    assertError(publish("elsewhere%2Fmetrics", h, "x"), 403, "Forbidden");
    h.put("Authorization", "Bearer not-a-jwt");
    h.put("mqtt-qos", "0");
    assertError(publish("devices%2Fmetrics%2Fa", h, "x"), 401, "Unauthorized");
    PrometheusScrape after = PrometheusScrape.of(broker);

    Map<String, Double> moved = new LinkedHashMap<>();
    for (String[] series :
        List.of(
            new String[] {
              "mqtt_successful_published_messages_total", "Protocol", "http-publish", "QoS", "0"
            },
            new String[] {
              "mqtt_successful_published_messages_total", "Protocol", "http-publish", "QoS", "1"
            },
            new String[] {
              "mqtt_failed_published_messages_total",
              "Protocol",
              "http-publish",
              "QoS",
              "1",
              "Error",
              "AuthorizationError"
            },
            new String[] {
              "mqtt_failed_published_messages_total",
              "Protocol",
              "http-publish",
              "QoS",
              "0",
              "Error",
              "AuthenticationError"
            },
            new String[] {
              "mqtt_request_count_total",
              "OperationType",
              "Publish",
              "Protocol",
              "http-publish",
              "Result",
              "Success",
              "Error",
              "None"
            },
            new String[] {
              "mqtt_request_count_total",
              "OperationType",
              "Publish",
              "Protocol",
              "http-publish",
              "Result",
              "ClientError",
              "Error",
              "AuthorizationError"
            },
            new String[] {
              "mqtt_publish_latency_seconds_count",
              "Protocol",
              "http-publish",
              "QoS",
              "1",
              "Result",
              "Success",
              "Error",
              "None"
            },
            new String[] {
              "mqtt_successful_published_messages_total", "Protocol", "MQTT5", "QoS", "1"
            })) {
      String[] labels = Arrays.copyOfRange(series, 1, series.length);
      moved.put(
          String.join(" ", series),
          count(after, series[0], labels) - count(before, series[0], labels));
    }
    assertThat(moved.values())
        .as(moved.toString())
        .containsExactly(1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 0.0);
    assertThat(
            count(after, "mqtt_throughput_bytes_total", "Direction", "Inbound")
                - count(before, "mqtt_throughput_bytes_total", "Direction", "Inbound"))
        .as("inbound bytes: every body read, refused ones included")
        .isEqualTo(1 + 3 + 1 + 1);
  }

  /**
   * A series with exactly these labels, 0 while it does not exist (refusals' series appear with the
   * first).
   */
  private static double count(PrometheusScrape metrics, String name, String... labelPairs) {
    return metrics.series(name, labelPairs).stream()
        .filter(s -> s.labels().size() == labelPairs.length / 2)
        .mapToDouble(PrometheusScrape.Sample::value)
        .sum();
  }

  // ------------------------------------------------------------------------------------------------ statuses

  private static void assertError(HttpResponse<Buffer> r, int status, String code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    assertThat(errorCode(r)).isEqualTo(code);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).isNotBlank();
  }

  @Test
  void malformedRequestsAreRefusedWith400AndACode() {
    String v = "&api-version=" + PUBLISH_VERSION;
    assertError(
        http.publish("api-version=" + PUBLISH_VERSION, headers(), new byte[0]),
        400,
        "InvalidTopic");
    assertError(
        http.publish("topic=devices%2F%2B%2Fx" + v, headers(), new byte[0]), 400, "InvalidTopic");
    assertError(
        http.publish("topic=devices%2F%23" + v, headers(), new byte[0]), 400, "InvalidTopic");
    assertError(
        http.publish("topic=devices%2F" + "a".repeat(250) + v, headers(), new byte[0]),
        400,
        "InvalidTopic");
    assertError(
        http.publish("topic=devices" + "%2Fl".repeat(15) + v, headers(), new byte[0]),
        400,
        "InvalidTopic");
    assertError(
        http.publish("topic=devices%2F%FF" + v, headers(), new byte[0]), 400, "InvalidTopic");
    assertError(
        http.publish("topic=devices%2Fa", headers(), new byte[0]), 400, "MissingApiVersion");
    assertError(
        http.publish("topic=devices%2Fa&api-version=2023-06-01-preview", headers(), new byte[0]),
        400,
        "UnsupportedApiVersion");
    assertError(publish("devices%2Fa", headers("mqtt-qos", "3"), ""), 400, "InvalidQos");
    assertError(publish("devices%2Fa", headers("mqtt-retain", "yes"), ""), 400, "InvalidRetain");
    assertError(
        publish("devices%2Fa", headers("mqtt-correlation-data", "***"), ""),
        400,
        "InvalidCorrelationData");
    assertError(
        publish("devices%2Fa", headers("mqtt-user-properties", "[{\"a\":\"b\"}"), ""),
        400,
        "InvalidUserProperties");
    assertError(
        publish("devices%2Fa", headers("mqtt-user-properties", "not-base64!"), ""),
        400,
        "InvalidUserProperties");
    assertError(
        publish("devices%2Fa", headers("mqtt-response-topic", "a%2F%23"), ""),
        400,
        "InvalidResponseTopic");
    assertError(
        publish("devices%2Fa", headers("mqtt-message-expiry", "-5"), ""),
        400,
        "InvalidMessageExpiry");
    assertError(
        publish("devices%2Fa", headers("mqtt-payload-format-indicator", "7"), ""),
        400,
        "InvalidPayloadFormatIndicator");
    assertError(
        http.publish(
            "topic=devices%2Fa" + v,
            headers("mqtt-payload-format-indicator", "1"),
            new byte[] {(byte) 0xC3, 0x28}),
        400,
        "PayloadFormatInvalid");
  }

  @Test
  void requestsWithoutAValidTokenAreRefusedWith401AndABearerChallenge() {
    long now = System.currentTimeMillis() / 1000;
    TestTokens stranger = TestTokens.create(TestTokens.ISSUER, TestTokens.KID);
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("missing", null);
    cases.put("basic scheme", "Basic dXNlcjpwYXNz");
    cases.put("not a JWT", "Bearer not-a-jwt");
    cases.put(
        "expired",
        "Bearer "
            + tokens.sign(
                Map.of(
                    "iss",
                    TestTokens.ISSUER,
                    "sub",
                    "late",
                    "aud",
                    TestTokens.HOSTNAME,
                    "nbf",
                    now - 7200,
                    "exp",
                    now - 3600)));
    cases.put("signed by another key", "Bearer " + stranger.token("mallory"));
    cases.put(
        "another audience",
        "Bearer "
            + tokens.sign(
                Map.of(
                    "iss",
                    TestTokens.ISSUER,
                    "sub",
                    "aud",
                    "aud",
                    "other.example",
                    "nbf",
                    now - 5,
                    "exp",
                    now + 600)));
    cases.put(
        "another issuer",
        "Bearer "
            + tokens.sign(
                Map.of(
                    "iss",
                    "https://elsewhere",
                    "sub",
                    "iss",
                    "aud",
                    TestTokens.HOSTNAME,
                    "nbf",
                    now - 5,
                    "exp",
                    now + 600)));
    cases.forEach(
        (what, authorization) -> {
          Map<String, String> h = new HashMap<>();
          h.put("Authorization", authorization);
          HttpResponse<Buffer> r = publish("devices%2Fa", h, "x");
          assertThat(r.statusCode()).as(what + ": " + r.bodyAsString()).isEqualTo(401);
          assertThat(errorCode(r)).as(what).isEqualTo("Unauthorized");
          assertThat(r.getHeader("WWW-Authenticate")).as(what).startsWith("Bearer");
        });
  }

  @Test
  void aTopicTheIdentityMayNotPublishToOrAReservedTopicIsForbidden() {
    assertError(publish("elsewhere%2Fa", headers(), "x"), 403, "Forbidden");
    assertError(publish("%24SYS%2Fbroker", headers(), "x"), 403, "Forbidden");
    assertError(publish("$events", headers(), "x"), 403, "Forbidden");
  }

  @Test
  void aBodyAboveTheMaximumPacketSizeIsRefusedWith413WhetherDeclaredOrStreamed() {
    int max = broker.broker().config().limits.maxPacketSize();
    assertError(
        http.publish(
            "topic=devices%2Fbig&api-version=" + PUBLISH_VERSION, headers(), new byte[max + 1]),
        413,
        "PayloadTooLarge");
    // chunked: no Content-Length, refused once the limit is passed. The client is held until
    // the end: Vert.x closes a client nothing refers to at the next garbage collection
    HttpClient client = http.vertx().createHttpClient();
    ChunkedResponse chunked;
    try {
      chunked =
          HttpApiClient.await(
              client
                  .request(
                      HttpMethod.POST,
                      broker.httpPort(),
                      "127.0.0.1",
                      "/mqtt/messages?topic=devices%2Fbig&api-version=" + PUBLISH_VERSION)
                  .compose(
                      req -> {
                        req.setChunked(true);
                        headers().forEach(req::putHeader);
                        for (int i = 0; i < 9; i++) {
                          req.write(Buffer.buffer(new byte[64 * 1024]));
                        }
                        return req.end()
                            .compose(v -> req.response())
                            .compose(
                                resp ->
                                    resp.body()
                                        .map(body -> new ChunkedResponse(resp.statusCode(), body)));
                      }));
    } finally {
      HttpApiClient.await(client.close());
    }
    assertThat(chunked.status()).isEqualTo(413);
    assertThat(chunked.body().toJsonObject().getJsonObject("error").getString("code"))
        .isEqualTo("PayloadTooLarge");
    // a retained payload has its own, smaller limit
    int retainedMax = broker.broker().config().limits.maxRetainedPayload();
    assertError(
        http.publish(
            "topic=retained%2Fbig&api-version=" + PUBLISH_VERSION,
            headers("mqtt-retain", "1"),
            new byte[retainedMax + 1]),
        413,
        "PayloadTooLarge");
    assertThat(
            http.publish(
                    "topic=retained%2Fbig&api-version=" + PUBLISH_VERSION,
                    headers("mqtt-retain", "1"),
                    new byte[retainedMax])
                .statusCode())
        .isEqualTo(204);
  }

  private record ChunkedResponse(int status, Buffer body) {}

  @Test
  void anIdentityAboveItsPublishRateGets429WithRetryAfter() {
    Map<String, String> h = new HashMap<>();
    h.put("Authorization", "Bearer " + tokens.freshToken("rate"));
    HttpResponse<Buffer> limited = null;
    int accepted = 0;
    for (int i = 0; i < 10 * RATE && limited == null; i++) {
      HttpResponse<Buffer> r = publish("rate%2Fa", h, "x");
      if (r.statusCode() == 429) {
        limited = r;
      } else {
        assertThat(r.statusCode()).isEqualTo(204);
        accepted++;
      }
    }
    assertThat(limited).as("no 429 after %d publishes", accepted).isNotNull();
    assertThat(accepted).isGreaterThanOrEqualTo(RATE);
    assertError(limited, 429, "TooManyRequests");
    assertThat(Integer.parseInt(limited.getHeader("Retry-After"))).isPositive();
    // another identity is not affected
    assertThat(publish("rate%2Fa", headers(), "x").statusCode()).isEqualTo(204);
  }

  @Test
  void unknownResourcesAndMethodsAnswerJsonErrors() {
    assertError(http.send(HttpMethod.GET, "/mqtt/nothing", headers(), null), 404, "NotFound");
    assertError(
        http.send(
            HttpMethod.GET,
            "/mqtt/messages?topic=a&api-version=" + PUBLISH_VERSION,
            headers(),
            null),
        405,
        "MethodNotAllowed");
  }
}
