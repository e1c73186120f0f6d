package io.mqttgrid.http;

import static io.mqttgrid.http.HttpApiClient.PUBLISH_VERSION;
import static io.mqttgrid.http.HttpApiClient.RETAINED_VERSION;
import static io.mqttgrid.http.HttpApiClient.errorCode;
import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TestTokens;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The retained-message API (spec section 5.5) on one node, with the namespace file's rights. */
@WithBroker(configMethod = "trustTheTestIssuer")
class RetainedMessagesIT {

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

  private static Map<String, String> auth() {
    Map<String, String> h = new HashMap<>();
    h.put("Authorization", "Bearer " + tokens.token("operator"));
    return h;
  }

  private static void retain(String encodedTopic, byte[] payload, String... headers) {
    Map<String, String> h = auth();
    h.put("mqtt-retain", "1");
    for (int i = 0; i < headers.length; i += 2) {
      h.put(headers[i], headers[i + 1]);
    }
    HttpResponse<Buffer> r =
        http.publish("topic=" + encodedTopic + "&api-version=" + PUBLISH_VERSION, h, payload);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
  }

  private static HttpResponse<Buffer> get(String encodedTopic) {
    return http.send(
        HttpMethod.GET,
        "/mqtt/retainedMessages/message?topic=" + encodedTopic + "&api-version=" + RETAINED_VERSION,
        auth(),
        null);
  }

  private static HttpResponse<Buffer> list(String query) {
    return http.send(HttpMethod.GET, "/mqtt/retainedMessages?" + query, auth(), null);
  }

  private static HttpResponse<Buffer> delete(String encodedTopic) {
    return http.send(
        HttpMethod.DELETE,
        "/mqtt/retainedMessages/message?topic=" + encodedTopic + "&api-version=" + RETAINED_VERSION,
        auth(),
        null);
  }

  private static void assertError(HttpResponse<Buffer> r, int status, String code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(errorCode(r)).isEqualTo(code);
  }

  @Test
  void oneTopicsRetainedMessageComesWithItsPayloadAndMetadataHeaders() {
    byte[] payload = {0, 1, 2, (byte) 0xFF, 'x', 'y', 'z', 7, 8, 9};
    Instant before = Instant.now().minusSeconds(1);
    retain("retained%2Fget%2Fone", payload, "mqtt-message-expiry", "600");
    HttpResponse<Buffer> r = get("retained%2Fget%2Fone");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.body().getBytes()).isEqualTo(payload);
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/octet-stream");
    assertThat(r.getHeader("x-ms-mqtt-topic")).isEqualTo("retained/get/one");
    assertThat(r.getHeader("x-ms-mqtt-qos")).isEqualTo("1");
    // fixed header 2 + topic 2+16 + packet id 2 + properties 1+5 (expiry) + payload 10
    assertThat(r.getHeader("x-ms-mqtt-size")).isEqualTo(String.valueOf(2 + 18 + 2 + 6 + 10));
    Instant lastModified = Instant.parse(r.getHeader("x-ms-mqtt-last-modified"));
    assertThat(lastModified).isBetween(before.minusSeconds(1), Instant.now());
    Instant expiry = Instant.parse(r.getHeader("x-ms-mqtt-expiry"));
    assertThat(Duration.between(lastModified, expiry).toSeconds()).isBetween(599L, 601L);
  }

  @Test
  void aRetainedMessageSetOverMqttIsReadableAndOneWithoutExpiryHasNoExpiryHeader() {
    Mqtt5BlockingClient c = broker.v5("retained-mqtt-publisher");
    c.connect();
    c.publishWith()
        .topic("retained/mqtt/é")
        .payload("from mqtt".getBytes(StandardCharsets.UTF_8))
        .retain(true)
        .qos(MqttQos.AT_MOST_ONCE)
        .send();
    c.disconnect();
    HttpResponse<Buffer> r = null;
    for (int i = 0; i < 100 && (r == null || r.statusCode() == 404); i++) {
      r = get("retained%2Fmqtt%2F%C3%A9");
    }
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsString()).isEqualTo("from mqtt");
    assertThat(r.getHeader("x-ms-mqtt-topic")).isEqualTo("retained/mqtt/%C3%A9");
    assertThat(r.getHeader("x-ms-mqtt-qos")).isEqualTo("0");
    assertThat(r.getHeader("x-ms-mqtt-expiry")).isNull();
  }

  @Test
  void readingIsRefusedWithoutRightsOrValidRequest() {
    assertError(get("retained%2Fget%2Fnone"), 404, "NotFound");
    // devices/# may be published to, not subscribed to: its retained messages are not readable
    retain("devices%2Fretained", "x".getBytes(StandardCharsets.UTF_8));
    assertError(get("devices%2Fretained"), 403, "Forbidden");
    assertError(get("%24SYS%2Fx"), 403, "Forbidden");
    assertError(get("retained%2F%2B"), 400, "InvalidTopic");
    assertError(
        http.send(
            HttpMethod.GET,
            "/mqtt/retainedMessages/message?api-version=" + RETAINED_VERSION,
            auth(),
            null),
        400,
        "InvalidTopic");
    assertError(
        http.send(
            HttpMethod.GET, "/mqtt/retainedMessages/message?topic=retained%2Fa", auth(), null),
        400,
        "MissingApiVersion");
    assertError(
        http.send(
            HttpMethod.GET,
            "/mqtt/retainedMessages/message?topic=retained%2Fa&api-version=" + PUBLISH_VERSION,
            auth(),
            null),
        400,
        "UnsupportedApiVersion");
    for (String path :
        List.of(
            "/mqtt/retainedMessages/message?topic=retained%2Fa&api-version=" + RETAINED_VERSION,
            "/mqtt/retainedMessages?topicFilter=retained%2F%23&api-version=" + RETAINED_VERSION)) {
      HttpResponse<Buffer> r = http.send(HttpMethod.GET, path, Map.of(), null);
      assertError(r, 401, "Unauthorized");
      assertThat(r.getHeader("WWW-Authenticate")).startsWith("Bearer");
    }
  }

  @Test
  void aListingPagesThroughEveryMatchingTopicInOrderByItsNextLinks() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      retain(
          "retained%2Flist%2Ft" + i,
          ("v" + i).getBytes(StandardCharsets.UTF_8),
          "mqtt-qos",
          String.valueOf(i % 2),
          "mqtt-message-expiry",
          i == 3 ? "900" : "");
      expected.add("retained/list/t" + i);
    }
    retain("retained%2Fother%2Fx", "no".getBytes(StandardCharsets.UTF_8));
    List<String> topics = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String next =
        "/mqtt/retainedMessages?topicFilter=retained%2Flist%2F%23&maxResults=3&api-version="
            + RETAINED_VERSION;
    while (next != null) {
      HttpResponse<Buffer> r = http.send(HttpMethod.GET, next, auth(), null);
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      JsonObject page = r.bodyAsJsonObject();
      JsonArray items = page.getJsonArray("retainedMessages");
      pageSizes.add(items.size());
      for (int i = 0; i < items.size(); i++) {
        JsonObject item = items.getJsonObject(i);
        topics.add(item.getString("topic"));
        int n = Integer.parseInt(item.getString("topic").substring("retained/list/t".length()));
        assertThat(item.getInteger("qos")).isEqualTo(n % 2);
        assertThat(item.getInteger("size")).isPositive();
        assertThat(Instant.parse(item.getString("lastModifiedTime")))
            .isBefore(Instant.now().plusSeconds(1));
        if (n == 3) {
          assertThat(Instant.parse(item.getString("expiry")))
              .isAfter(Instant.now().plusSeconds(800));
        } else {
          assertThat(item.containsKey("expiry")).isTrue();
          assertThat(item.getValue("expiry")).isNull();
        }
      }
      assertThat(page.containsKey("nextLink")).isTrue();
      String link = page.getString("nextLink");
      if (link != null) {
        URI uri = URI.create(link);
        assertThat(uri.getScheme()).isEqualTo("http");
        assertThat(uri.getPort()).isEqualTo(broker.httpPort());
        assertThat(uri.getRawQuery())
            .contains("continuationToken=")
            .contains("api-version=" + RETAINED_VERSION)
            .doesNotContain("topicFilter");
        next = uri.getRawPath() + "?" + uri.getRawQuery();
      } else {
        next = null;
      }
    }
    assertThat(topics).containsExactlyElementsOf(expected);
    assertThat(pageSizes).containsExactly(3, 3, 1);
  }

  @Test
  void listingRequestsWithoutRightsOrWithBadParametersAreRefused() {
    String v = "&api-version=" + RETAINED_VERSION;
    HttpResponse<Buffer> first = list("topicFilter=retained%2F%23&maxResults=1" + v);
    assertThat(first.statusCode()).isEqualTo(200);
    assertError(
        list("topicFilter=retained%2F%23&continuationToken=abc" + v), 400, "ConflictingParameters");
    assertError(list("maxResults=5" + v), 400, "InvalidTopicFilter");
    assertError(list("topicFilter=retained%2F%23&maxResults=0" + v), 400, "InvalidMaxResults");
    assertError(list("topicFilter=retained%2F%23&maxResults=101" + v), 400, "InvalidMaxResults");
    assertError(list("topicFilter=retained%2F%23&maxResults=ten" + v), 400, "InvalidMaxResults");
    assertError(list("continuationToken=bm90LWEtdG9rZW4" + v), 400, "InvalidContinuationToken");
    assertError(list("topicFilter=retained%2F%23%2Fx" + v), 400, "InvalidTopicFilter");
    assertError(list("topicFilter=%24share%2Fg%2Fretained%2F%23" + v), 400, "InvalidTopicFilter");
    assertError(list("topicFilter=devices%2F%23" + v), 403, "Forbidden");
    assertError(list("topicFilter=%23" + v), 403, "Forbidden");
    // a token naming a filter the caller may not read grants nothing
    String forged = new ContinuationToken("devices/#", "", 10).encode();
    assertError(list("continuationToken=" + forged + v), 403, "Forbidden");
    // an edited page size is refused as maxResults would be, not clamped or obeyed
    for (int n : new int[] {0, -1, 101, Integer.MAX_VALUE}) {
      String edited = new ContinuationToken("retained/#", "", n).encode();
      assertError(list("continuationToken=" + edited + v), 400, "InvalidContinuationToken");
    }
  }

  @Test
  void deletingRemovesOneTopicsRetainedMessageWithoutTellingSubscribers() throws Exception {
    retain("retained%2Fdelete%2Fone", "bye".getBytes(StandardCharsets.UTF_8));
    Mqtt5BlockingClient sub = broker.v5("retained-delete-watcher");
    Inbox<Mqtt5Publish> inbox =
        Inbox.connectAndSubscribe(sub, "retained/delete/#", MqttQos.AT_LEAST_ONCE);
    assertThat(Inbox.text(inbox.next()))
        .isEqualTo("bye"); // the retained message itself, on subscribe

    HttpResponse<Buffer> r = delete("retained%2Fdelete%2Fone");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
    assertError(get("retained%2Fdelete%2Fone"), 404, "NotFound");
    assertError(delete("retained%2Fdelete%2Fone"), 404, "NotFound");
    sub.publishWith().topic("retained/delete/sentinel").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(inbox.topicsUntil("retained/delete/sentinel")).isEmpty();
    sub.disconnect();

    // a subscriber arriving later gets no retained message either
    Mqtt5BlockingClient late = broker.v5("retained-delete-late");
    Inbox<Mqtt5Publish> lateInbox =
        Inbox.connectAndSubscribe(late, "retained/delete/#", MqttQos.AT_LEAST_ONCE);
    late.publishWith().topic("retained/delete/sentinel2").qos(MqttQos.AT_LEAST_ONCE).send();
    assertThat(lateInbox.topicsUntil("retained/delete/sentinel2")).isEmpty();
    late.disconnect();

    // deleting needs the right to publish to the topic
    assertError(delete("elsewhere%2Fx"), 403, "Forbidden");
    assertError(
        http.send(
            HttpMethod.DELETE,
            "/mqtt/retainedMessages/message?topic=retained%2Fx&api-version=" + RETAINED_VERSION,
            Map.of(),
            null),
        401,
        "Unauthorized");
  }
}
