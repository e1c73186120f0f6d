package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cloudevents.CloudEvent;
import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.ModelValidationException;
import io.mqttgrid.access.RoutingSettings;
import io.mqttgrid.access.RoutingSettings.Enrichment;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageEventsTest {

  private static final long RECEIVED = 1_700_000_000_123L;
  private final MessageEvents events = new MessageEvents("testnamespace");

  private static PublishedMessage message(
      byte[] payload, int pfi, String contentType, List<UserProperty> props) {
    return new PublishedMessage(
        "n1:1:1",
        "devices/d1/telemetry",
        payload,
        1,
        false,
        "client1",
        RECEIVED,
        0,
        pfi,
        contentType,
        "devices/d1/reply",
        "request1".getBytes(StandardCharsets.UTF_8),
        props);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The event's JSON as routing writes it ({@link MessageEvents#routed}: straight from the message
   * for one that is not a CloudEvent), checked against the SDK's JSON of the same event, field by
   * field: the two may differ only in the order of the fields.
   */
  private JsonObject json(PublishedMessage m, ClientIdentity who, List<Enrichment> e) {
    RoutedEvent routed = events.routed(m, who, e);
    JsonObject written = new JsonObject(new String(routed.json(), StandardCharsets.UTF_8));
    JsonObject bySdk =
        new JsonObject(
            new String(MessageEvents.structured(routed.event()), StandardCharsets.UTF_8));
    assertThat(written).isEqualTo(bySdk);
    // one line: a dead-letter file has one event a line
    assertThat(new String(routed.json(), StandardCharsets.UTF_8)).doesNotContain("\n");
    return written;
  }

  private JsonObject json(PublishedMessage m) {
    return json(m, null, List.of());
  }

  @Test
  void everyEventHasTheAttributesOfSection62() {
    JsonObject e = json(message(utf8("{\"Temp\":70}"), 1, null, List.of()));
    String id = e.getString("id");
    assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    e.remove("id");
    assertThat(e)
        .isEqualTo(
            new JsonObject()
                .put("specversion", "1.0")
                .put("type", "MQTT.EventPublished")
                .put("source", "testnamespace")
                .put("subject", "devices/d1/telemetry")
                .put("datacontenttype", "application/json")
                .put("time", "2023-11-14T22:13:20.123Z")
                .put("data", new JsonObject().put("Temp", 70)));
  }

  @Test
  void idsAreUnique() {
    PublishedMessage m = message(utf8("x"), 0, null, List.of());
    assertThat(events.event(m, null, List.of()).getId())
        .isNotEqualTo(events.event(m, null, List.of()).getId());
  }

  @Test
  void idsAreANodesRandomPartAndACounterNotARandomUuidEach() {
    PublishedMessage m = message(utf8("x"), 0, null, List.of());
    java.util.Set<String> ids = new java.util.HashSet<>();
    java.util.Set<Long> high = new java.util.HashSet<>();
    for (int i = 0; i < 1000; i++) {
      java.util.UUID id = java.util.UUID.fromString(events.event(m, null, List.of()).getId());
      ids.add(id.toString());
      high.add(id.getMostSignificantBits());
      // still in the form of a random UUID (version 4, variant 2)
      assertThat(id.version()).isEqualTo(4);
      assertThat(id.variant()).isEqualTo(2);
    }
    assertThat(ids).hasSize(1000);
    // one random draw per instance (the cheap part is the counter)...
    assertThat(high).hasSize(1);
    // ...and another instance (another node, or the same after a restart) draws another
    java.util.UUID other =
        java.util.UUID.fromString(
            new MessageEvents("testnamespace").event(m, null, List.of()).getId());
    assertThat(high).doesNotContain(other.getMostSignificantBits());
  }

  @Test
  void eachEventIsWrittenOnceAndABatchIsMadeOfThoseBytes() {
    RoutedEvent a =
        new RoutedEvent(
            events.event(message(utf8("1"), 1, null, List.of()), null, List.of()), false, null);
    RoutedEvent b =
        new RoutedEvent(
            events.event(message(new byte[] {1}, 0, null, List.of()), null, List.of()),
            false,
            null);
    // written once: the batch cut and the body use the same bytes
    assertThat(a.json()).isSameAs(a.json());
    java.util.Queue<RoutedEvent> waiting = new java.util.ArrayDeque<>(List.of(a, b));
    int bytes = 2 + a.json().length + 1 + b.json().length;
    List<RoutedEvent> batch = EventBatches.drain(waiting, 10, bytes);
    assertThat(batch).containsExactly(a, b);
    byte[] body = WebhookSender.body(batch, true);
    assertThat(body).hasSize(bytes);
    assertThat(new String(body, StandardCharsets.UTF_8))
        .isEqualTo(
            "["
                + new String(a.json(), StandardCharsets.UTF_8)
                + ","
                + new String(b.json(), StandardCharsets.UTF_8)
                + "]");
    // one byte less and the second goes to the next request
    waiting.addAll(List.of(a, b));
    assertThat(EventBatches.drain(waiting, 10, bytes - 1)).containsExactly(a);
    assertThat(WebhookSender.body(List.of(a), false)).isSameAs(a.json());
  }

  @Test
  void aBinaryPayloadIsDataBase64AsOctetStream() {
    JsonObject e = json(message(new byte[] {0, 1, (byte) 0xff}, 0, null, List.of()));
    assertThat(e.getString("datacontenttype")).isEqualTo("application/octet-stream");
    assertThat(e.getString("data_base64")).isEqualTo("AAH/");
    assertThat(e.containsKey("data")).isFalse();
  }

  @Test
  void aPfi0JsonLookingPayloadWithoutJsonContentTypeIsStillBase64() {
    JsonObject e = json(message(utf8("{\"a\":1}"), -1, null, List.of()));
    assertThat(e.getString("data_base64")).isEqualTo("eyJhIjoxfQ==");
  }

  @Test
  void aJsonContentTypeMakesJsonDataWhateverThePfi() {
    JsonObject e = json(message(utf8("[1,2]"), 0, "application/json; charset=utf-8", List.of()));
    assertThat(e.getString("datacontenttype")).isEqualTo("application/json; charset=utf-8");
    assertThat(e.getJsonArray("data")).isEqualTo(new JsonArray().add(1).add(2));
  }

  @Test
  void utf8TextThatIsNotJsonBecomesAJsonString() {
    JsonObject e = json(message(utf8("hello {"), 1, null, List.of()));
    assertThat(e.getString("data")).isEqualTo("hello {");
    assertThat(e.getString("datacontenttype")).isEqualTo("text/plain; charset=utf-8");
    JsonObject trailing = json(message(utf8("{} x"), 1, null, List.of()));
    assertThat(trailing.getString("data")).isEqualTo("{} x");
  }

  @Test
  void jsonDataIsWrittenAsTheSdkWritesItWhateverItsLayout() {
    String pretty =
        "{\n  \"t\": 21.50,\n  \"big\": 12345678901234567890,\n  \"s\": \"é\\u00e8\\n\",\n"
            + "  \"a\": [1, -2.5e3, true, null, {}]\n}\n";
    JsonObject e = json(message(utf8(pretty), 1, null, List.of()));
    assertThat(e.getJsonObject("data").getString("s")).isEqualTo("éè\n");
    assertThat(e.getJsonObject("data").getJsonArray("a")).hasSize(5);
    json(message(utf8("\"just a string\""), 1, null, List.of()));
    json(message(utf8(" 42 "), 0, "application/json", List.of()));
    json(message(utf8("{\"a\":1} {"), 1, null, List.of()));
    json(message(utf8("   "), 1, null, List.of()));
    json(message(new byte[0], 1, null, List.of()));
    json(message(new byte[0], 0, null, List.of()));
    byte[] large = new byte[70_000];
    new java.util.Random(1).nextBytes(large);
    assertThat(
            java.util.Base64.getDecoder()
                .decode(json(message(large, 0, null, List.of())).getString("data_base64")))
        .isEqualTo(large);
  }

  @Test
  void aRoutedMessagesIdIsTheSameInItsJsonAndItsEvent() {
    RoutedEvent r = events.routed(message(utf8("x"), 0, null, List.of()), null, List.of());
    JsonObject e = new JsonObject(new String(r.json(), StandardCharsets.UTF_8));
    assertThat(e.getString("id")).isEqualTo(r.event().getId());
    assertThat(
            events.routed(message(utf8("x"), 0, null, List.of()), null, List.of()).event().getId())
        .isNotEqualTo(r.event().getId());
  }

  @Test
  void aJsonContentTypeOverBytesThatAreNotUtf8IsBase64NotRawBytes() {
    JsonObject e = json(message(new byte[] {(byte) 0xc3, 0x28}, 0, "application/json", List.of()));
    assertThat(e.getString("datacontenttype")).isEqualTo("application/json");
    assertThat(e.getString("data_base64")).isEqualTo("wyg=");
  }

  @Test
  void theMessageContentTypeIsKeptForBinaryData() {
    JsonObject e = json(message(utf8("abc"), 0, "text/csv", List.of()));
    assertThat(e.getString("datacontenttype")).isEqualTo("text/csv");
    assertThat(e.getString("data_base64")).isEqualTo("YWJj");
  }

  private static List<Enrichment> enrichments(String... keyValue) {
    List<Enrichment> out = new ArrayList<>();
    for (int i = 0; i < keyValue.length; i += 2) {
      String v = keyValue[i + 1];
      out.add(
          new Enrichment(
              keyValue[i], v, v.startsWith("${") ? RoutingSettings.parseDynamic(v, "f") : null));
    }
    return out;
  }

  @Test
  void enrichmentsResolveEveryDynamicFormAndMissingValuesAreEmpty() {
    ClientIdentity who =
        new ClientIdentity(
            "client1-auth",
            Map.of("type", "sensor", "floors", List.of("1", "2"), "level", 3L, "on", true),
            ClientIdentity.Authority.REGISTRY,
            0);
    PublishedMessage m =
        message(
            utf8("{}"),
            1,
            null,
            List.of(
                new UserProperty("p", "a"),
                new UserProperty("p", "b"),
                new UserProperty("it's\\x", "q")));
    JsonObject e =
        json(
            m,
            who,
            enrichments(
                "region", "eu1",
                "name", "${client.authenticationName}",
                "ctype", "${client.attributes.type}",
                "floors", "${client.attributes.floors}",
                "level", "${client.attributes.level}",
                "on", "${client.attributes.on}",
                "absent", "${client.attributes.nope}",
                "props", "${mqtt.message.userProperties.p}",
                "bracket", "${mqtt.message.userProperties['it\\'s\\\\x']}",
                "noprop", "${mqtt.message.userProperties.none}",
                "topic", "${mqtt.message.topicName}",
                "resp", "${mqtt.message.responseTopic}",
                "corr", "${mqtt.message.correlationData}",
                "pfi", "${mqtt.message.pfi}"));
    assertThat(e.getString("region")).isEqualTo("eu1");
    assertThat(e.getString("name")).isEqualTo("client1-auth");
    assertThat(e.getString("ctype")).isEqualTo("sensor");
    assertThat(e.getString("floors")).isEqualTo("1,2");
    assertThat(e.getString("level")).isEqualTo("3");
    assertThat(e.getString("on")).isEqualTo("true");
    assertThat(e.getString("absent")).isEqualTo("");
    assertThat(e.getString("props")).isEqualTo("a,b");
    assertThat(e.getString("bracket")).isEqualTo("q");
    assertThat(e.getString("noprop")).isEqualTo("");
    assertThat(e.getString("topic")).isEqualTo("devices/d1/telemetry");
    assertThat(e.getString("resp")).isEqualTo("devices/d1/reply");
    assertThat(e.getString("corr")).isEqualTo("cmVxdWVzdDE=");
    assertThat(e.getValue("pfi")).isEqualTo(1);
  }

  @Test
  void withoutAPublisherIdentityClientValuesAreEmpty() {
    JsonObject e =
        json(
            message(utf8("x"), -1, null, List.of()),
            null,
            enrichments(
                "n", "${client.authenticationName}",
                "a", "${client.attributes.x}",
                "pfi", "${mqtt.message.pfi}"));
    assertThat(e.getString("n")).isEmpty();
    assertThat(e.getString("a")).isEmpty();
    assertThat(e.getValue("pfi")).isEqualTo(0);
  }

  @Test
  void unknownDynamicValuesAreRefused() {
    for (String bad :
        List.of(
            "client.authenticationName",
            "${client.name}",
            "${mqtt.message.qos}",
            "${mqtt.message.userProperties['x]}",
            "${client.attributes.}")) {
      assertThatThrownBy(() -> RoutingSettings.parseDynamic(bad, "f"))
          .as(bad)
          .isInstanceOf(ModelValidationException.class);
    }
  }

  @Test
  void enrichmentKeysAndValuesFollowTheRulesOfSection63() {
    for (String key :
        List.of("Upper", "with-dash", "", "abcdefghijklmnopqrstu", "azspx", "id", "data_base64")) {
      assertThatThrownBy(() -> RoutingSettings.check(enrichments(key, "v"), "e"))
          .as(key)
          .isInstanceOf(ModelValidationException.class);
    }
    RoutingSettings.check(enrichments("abcdefghijklmnopqrst", "v", "k2", "x".repeat(128)), "e");
    assertThatThrownBy(() -> RoutingSettings.check(enrichments("k", "x".repeat(129)), "e"))
        .isInstanceOf(ModelValidationException.class);
    assertThatThrownBy(() -> RoutingSettings.check(enrichments("k", "a", "k", "b"), "e"))
        .hasMessageContaining("twice");
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 21; i++) {
      many.add("k" + i);
      many.add("v");
    }
    assertThatThrownBy(() -> RoutingSettings.check(enrichments(many.toArray(String[]::new)), "e"))
        .hasMessageContaining("at most 20");
    many.subList(40, 42).clear();
    RoutingSettings.check(enrichments(many.toArray(String[]::new)), "e");
  }

  @Test
  void aBatchIsAJsonArrayOfStructuredEvents() {
    CloudEvent a = events.event(message(utf8("1"), 1, null, List.of()), null, List.of());
    CloudEvent b = events.event(message(new byte[] {1}, 0, null, List.of()), null, List.of());
    JsonArray batch =
        new JsonArray(
            new String(
                WebhookSender.body(
                    List.of(new RoutedEvent(a, false, null), new RoutedEvent(b, false, null)),
                    true),
                StandardCharsets.UTF_8));
    assertThat(batch).hasSize(2);
    assertThat(batch.getJsonObject(0).getInteger("data")).isEqualTo(1);
    assertThat(batch.getJsonObject(1).getString("data_base64")).isEqualTo("AQ==");
  }

  @Test
  void httpAnswersMapToTheErrorsOfSection65() {
    assertThat(RoutingErrors.error(200)).isNull();
    assertThat(RoutingErrors.error(202)).isNull();
    assertThat(RoutingErrors.error(404)).isEqualTo("TopicNotFoundError");
    assertThat(RoutingErrors.error(401)).isEqualTo("AuthenticationError");
    assertThat(RoutingErrors.error(403)).isEqualTo("AuthenticationError");
    assertThat(RoutingErrors.error(429)).isEqualTo("TooManyRequests");
    assertThat(RoutingErrors.error(503)).isEqualTo("ServiceError");
    assertThat(RoutingErrors.error(400)).isEqualTo("ClientError");
    assertThat(RoutingErrors.retried("TooManyRequests")).isTrue();
    assertThat(RoutingErrors.retried("ServiceError")).isTrue();
    assertThat(RoutingErrors.retried("TopicNotFoundError")).isFalse();
    assertThat(RoutingErrors.retried("ClientError")).isFalse();
  }

  @Test
  void aStructuredModeCloudEventPassesThroughWithItsOwnAttributesPlusEnrichments() {
    String own =
        """
        {"specversion":"1.0","id":"own-1","source":"/devices/d1","type":"com.example.reading",
         "subject":"kitchen","time":"2024-01-02T03:04:05Z","datacontenttype":"application/json",
         "tenant":"t1","data":{"temp":20}}
        """;
    JsonObject e =
        json(
            message(utf8(own), 1, "application/cloudevents+json; charset=utf-8", List.of()),
            null,
            enrichments("region", "eu1", "topic", "${mqtt.message.topicName}"));
    assertThat(e)
        .isEqualTo(
            new JsonObject(own)
                .put("region", "eu1")
                .put("topic", "devices/d1/telemetry")
                .put("time", "2024-01-02T03:04:05Z"));
  }

  @Test
  void aBinaryModeCloudEventPassesThroughFromItsUserProperties() {
    JsonObject e =
        json(
            message(
                utf8("{\"temp\":20}"),
                1,
                "application/json",
                List.of(
                    new UserProperty("specversion", "1.0"),
                    new UserProperty("id", "own-2"),
                    new UserProperty("source", "/devices/d1"),
                    new UserProperty("type", "com.example.reading"),
                    new UserProperty("time", "2024-01-02T03:04:05Z"),
                    new UserProperty("tenant", "t1"),
                    new UserProperty("Not-An-Attribute", "x"))),
            null,
            enrichments("region", "eu1"));
    assertThat(e)
        .isEqualTo(
            new JsonObject(
                """
                {"specversion":"1.0","id":"own-2","source":"/devices/d1",
                 "type":"com.example.reading","time":"2024-01-02T03:04:05Z",
                 "datacontenttype":"application/json","tenant":"t1","region":"eu1",
                 "data":{"temp":20}}
                """));
  }

  @Test
  void somethingThatIsNotAValidCloudEventIsEnvelopedLikeAnyMessage() {
    JsonObject structured =
        json(message(utf8("{\"not\":\"an event\"}"), 1, "application/cloudevents+json", List.of()));
    assertThat(structured.getString("type")).isEqualTo("MQTT.EventPublished");
    assertThat(structured.getJsonObject("data")).isEqualTo(new JsonObject().put("not", "an event"));
    JsonObject binary =
        json(
            message(
                utf8("x"),
                0,
                null,
                List.of(new UserProperty("specversion", "1.0"), new UserProperty("id", "i"))));
    assertThat(binary.getString("type")).isEqualTo("MQTT.EventPublished");
    assertThat(binary.getString("source")).isEqualTo("testnamespace");
  }

  @Test
  void theSourceIsTheNamespaceNameAsAUriReference() {
    assertThat(MessageEvents.source("testnamespace").toString()).isEqualTo("testnamespace");
    assertThat(MessageEvents.source("my ns").toString()).isEqualTo("my%20ns");
    assertThat(MessageEvents.source("ns-1").toString()).isEqualTo("ns-1");
  }
}
