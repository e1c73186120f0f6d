package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.jackson.JsonCloudEventData;
import io.mqttgrid.access.EventSubscription;
import io.mqttgrid.access.NamespaceModelJson;
import io.mqttgrid.access.RoutingSettings;
import io.mqttgrid.access.RoutingSettings.Enrichment;
import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Event subscription filters (spec section 6.4) with Event Grid's semantics, on real events: routed
 * messages built by {@link MessageEvents} (JSON data, text data, bytes data, enrichments) and a
 * life-cycle event. Each row: a filter in the namespace settings' JSON form (read through the
 * settings parser, as a namespace file or the management API gives it), an event, and whether it
 * passes.
 */
class EventFilterTest {

  private static final MessageEvents EVENTS = new MessageEvents("testnamespace");

  private static final List<Enrichment> ENRICHMENTS =
      List.of(
          new Enrichment("clienttype", "Sensor-V2", null),
          new Enrichment("mqttpfi", "${mqtt.message.pfi}", RoutingSettings.MessageField.PFI),
          new Enrichment("count", "5", null));

  /** A JSON telemetry message, MQTT 5 with PFI 1, on Event Grid's sample topic. */
  static final CloudEvent TELEMETRY =
      routed(
          "factory1/area2/machine4/telemetry",
          1,
          """
          {"Temp": 70, "humidity": 40.5, "status": "Running", "ok": true, "nothing": null,
           "tags": ["Blue", "green"], "readings": [1, 5, 9], "nested": {"level": 3,
           "deeper": {"name": "Contoso Plant"}}}""");

  /** UTF-8 text that is not JSON: {@code data} is a JSON string. */
  static final CloudEvent TEXT = routed("factory1/area2/log", 1, "Hello Contoso.");

  /** Bytes (PFI 0): {@code data_base64}, no {@code data}. */
  static final CloudEvent BINARY = routed("factory1/area2/raw", 0, "{\"Temp\": 70}");

  static final CloudEvent CONNECTED =
      CloudEventBuilder.v1()
          .withId("e1")
          .withType("Microsoft.EventGrid.MQTTClientSessionConnected")
          .withSource(URI.create("/namespaces/testnamespace"))
          .withSubject("clients/sensor-1/sessions/sensor-1")
          .withData(
              JsonCloudEventData.wrap(
                  new ObjectMapper()
                      .createObjectNode()
                      .put("clientAuthenticationName", "sensor-1")
                      .put("sequenceNumber", 3)))
          .build();

  private static CloudEvent routed(String topic, int pfi, String payload) {
    return EVENTS.event(
        new PublishedMessage(
            "n1:1:1",
            topic,
            payload.getBytes(StandardCharsets.UTF_8),
            1,
            false,
            "sensor-1",
            1_700_000_000_000L,
            0,
            pfi,
            null,
            null,
            null,
            List.of()),
        null,
        ENRICHMENTS);
  }

  /** The filter of a one-subscription namespace settings object. */
  static EventFilter filter(String filterJson) {
    JsonObject settings =
        new JsonObject()
            .put(
                "eventSubscriptions",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "sub1")
                            .put("filter", new JsonObject(filterJson))
                            .put(
                                "destination",
                                new JsonObject()
                                    .put(
                                        "webhook",
                                        new JsonObject()
                                            .put("endpointUrl", "http://127.0.0.1:1/x")))));
    EventSubscription s = NamespaceModelJson.settings(settings).routing().subscriptions().get(0);
    return new EventFilter(s.filter());
  }

  /** An advanced filter alone. */
  static String adv(String operator, String key, String valuesJson) {
    String values =
        valuesJson == null
            ? ""
            : valuesJson.startsWith("[")
                ? ", \"values\": " + valuesJson
                : ", \"value\": " + valuesJson;
    return "{\"advancedFilters\": [{\"operatorType\": \"%s\", \"key\": \"%s\"%s}]}"
        .formatted(operator, key, values);
  }

  static Arguments row(String filter, CloudEvent event, boolean passes) {
    return Arguments.of(filter, event, passes);
  }

  static Stream<Arguments> rows() {
    return Stream.of(
        // no filter: everything
        row("{}", TELEMETRY, true),
        row("{}", CONNECTED, true),
        // event types: any of them, case-insensitively; "All" is every type
        row("{\"includedEventTypes\": [\"MQTT.EventPublished\"]}", TELEMETRY, true),
        row("{\"includedEventTypes\": [\"mqtt.eventpublished\"]}", TELEMETRY, true),
        row("{\"includedEventTypes\": [\"MQTT.EventPublished\"]}", CONNECTED, false),
        row(
            "{\"includedEventTypes\": [\"Microsoft.EventGrid.MQTTClientSessionConnected\","
                + " \"Microsoft.EventGrid.MQTTClientSessionDisconnected\"]}",
            CONNECTED,
            true),
        row("{\"includedEventTypes\": [\"All\"]}", CONNECTED, true),
        // subject prefix and suffix, case-insensitive unless asked
        row("{\"subjectBeginsWith\": \"factory1/area2/\"}", TELEMETRY, true),
        row("{\"subjectBeginsWith\": \"FACTORY1/\"}", TELEMETRY, true),
        row(
            "{\"subjectBeginsWith\": \"FACTORY1/\", \"isSubjectCaseSensitive\": true}",
            TELEMETRY,
            false),
        row("{\"subjectBeginsWith\": \"factory2/\"}", TELEMETRY, false),
        row("{\"subjectEndsWith\": \"/telemetry\"}", TELEMETRY, true),
        row("{\"subjectEndsWith\": \"/telemetry\"}", TEXT, false),
        row("{\"subjectBeginsWith\": \"factory1/\", \"subjectEndsWith\": \"/raw\"}", BINARY, true),
        row("{\"subjectBeginsWith\": \"factory1/\", \"subjectEndsWith\": \"/raw\"}", TEXT, false),
        row("{\"subjectBeginsWith\": \"clients/\"}", CONNECTED, true),
        // numbers on data.* (Event Grid's sample: NumberGreaterThan on data.Temp)
        row(adv("NumberGreaterThan", "data.Temp", "60"), TELEMETRY, true),
        row(adv("NumberGreaterThan", "data.Temp", "70"), TELEMETRY, false),
        row(adv("NumberGreaterThanOrEquals", "data.Temp", "70"), TELEMETRY, true),
        row(adv("NumberLessThan", "data.humidity", "40.5"), TELEMETRY, false),
        row(adv("NumberLessThanOrEquals", "data.humidity", "40.5"), TELEMETRY, true),
        row(adv("NumberLessThan", "data.humidity", "41"), TELEMETRY, true),
        row(adv("NumberIn", "data.Temp", "[1, 70]"), TELEMETRY, true),
        row(adv("NumberIn", "data.Temp", "[1, 2]"), TELEMETRY, false),
        row(adv("NumberNotIn", "data.Temp", "[1, 2]"), TELEMETRY, true),
        row(adv("NumberNotIn", "data.Temp", "[70]"), TELEMETRY, false),
        row(adv("NumberInRange", "data.Temp", "[[0, 10], [60, 70]]"), TELEMETRY, true),
        row(adv("NumberInRange", "data.Temp", "[[0, 10], [71, 80]]"), TELEMETRY, false),
        row(adv("NumberNotInRange", "data.Temp", "[[0, 10]]"), TELEMETRY, true),
        row(adv("NumberNotInRange", "data.Temp", "[[70, 70]]"), TELEMETRY, false),
        // nested keys, and a key's case does not matter
        row(adv("NumberIn", "data.nested.level", "[3]"), TELEMETRY, true),
        row(adv("StringContains", "data.nested.deeper.name", "[\"contoso\"]"), TELEMETRY, true),
        row(adv("NumberGreaterThan", "Data.temp", "60"), TELEMETRY, true),
        row(adv("NumberIn", "data.sequenceNumber", "[3]"), CONNECTED, true),
        // a value of another type than the operator's is ignored
        row(adv("NumberGreaterThan", "data.status", "0"), TELEMETRY, false),
        row(adv("BoolEquals", "data.Temp", "true"), TELEMETRY, false),
        // booleans
        row(adv("BoolEquals", "data.ok", "true"), TELEMETRY, true),
        row(adv("BoolEquals", "data.ok", "false"), TELEMETRY, false),
        // strings: case-insensitive, any value (OR)
        row(adv("StringIn", "data.status", "[\"running\", \"stopped\"]"), TELEMETRY, true),
        row(adv("StringIn", "data.status", "[\"stopped\"]"), TELEMETRY, false),
        row(adv("StringNotIn", "data.status", "[\"stopped\"]"), TELEMETRY, true),
        row(adv("StringNotIn", "data.status", "[\"RUNNING\"]"), TELEMETRY, false),
        row(adv("StringBeginsWith", "data.status", "[\"x\", \"RUN\"]"), TELEMETRY, true),
        row(adv("StringNotBeginsWith", "data.status", "[\"run\"]"), TELEMETRY, false),
        row(adv("StringNotBeginsWith", "data.status", "[\"stop\"]"), TELEMETRY, true),
        row(adv("StringEndsWith", "data.status", "[\"NING\"]"), TELEMETRY, true),
        row(adv("StringNotEndsWith", "data.status", "[\"ning\"]"), TELEMETRY, false),
        row(adv("StringContains", "data.status", "[\"unn\"]"), TELEMETRY, true),
        row(adv("StringNotContains", "data.status", "[\"unn\"]"), TELEMETRY, false),
        row(adv("StringNotContains", "data.status", "[\"xyz\"]"), TELEMETRY, true),
        // data that is a JSON string (Event Grid's sample: StringContains on data)
        row(adv("StringContains", "data", "[\"contoso\"]"), TEXT, true),
        row(adv("StringContains", "data", "[\"fabrikam\"]"), TEXT, false),
        // attributes, and enrichments (Event Grid's sample: StringContains on clienttype)
        row(adv("StringContains", "clienttype", "[\"sensor\"]"), TELEMETRY, true),
        row(adv("StringIn", "type", "[\"mqtt.eventpublished\"]"), TELEMETRY, true),
        row(adv("StringBeginsWith", "subject", "[\"factory1/area2\"]"), TELEMETRY, true),
        row(adv("StringIn", "source", "[\"testnamespace\"]"), TELEMETRY, true),
        row(adv("StringIn", "datacontenttype", "[\"application/json\"]"), TELEMETRY, true),
        row(adv("NumberIn", "mqttpfi", "[1]"), TELEMETRY, true),
        row(adv("NumberIn", "mqttpfi", "[0]"), BINARY, true),
        // a string operator reads a number as its text (Event Grid's extension sample)
        row(adv("StringBeginsWith", "data.Temp", "[\"7\"]"), TELEMETRY, true),
        // a string enrichment is no number
        row(adv("NumberIn", "count", "[5]"), TELEMETRY, false),
        // missing keys: only IsNullOrUndefined and the NotIn operators pass
        row(adv("IsNullOrUndefined", "data.absent", null), TELEMETRY, true),
        row(adv("IsNullOrUndefined", "data.nothing", null), TELEMETRY, true),
        row(adv("IsNullOrUndefined", "data.Temp", null), TELEMETRY, false),
        row(adv("IsNotNull", "data.Temp", null), TELEMETRY, true),
        row(adv("IsNotNull", "data.nothing", null), TELEMETRY, false),
        row(adv("IsNotNull", "data.absent", null), TELEMETRY, false),
        row(adv("NumberNotIn", "data.absent", "[1]"), TELEMETRY, true),
        row(adv("StringNotIn", "data.absent", "[\"x\"]"), TELEMETRY, true),
        row(adv("StringNotContains", "data.absent", "[\"x\"]"), TELEMETRY, false),
        row(adv("StringNotBeginsWith", "data.absent", "[\"x\"]"), TELEMETRY, false),
        row(adv("NumberLessThan", "data.absent", "100"), TELEMETRY, false),
        row(adv("BoolEquals", "data.absent", "false"), TELEMETRY, false),
        row(adv("StringContains", "noSuchAttribute", "[\"x\"]"), TELEMETRY, false),
        row(adv("StringIn", "data.nothing", "[\"null\"]"), TELEMETRY, false),
        // bytes data has no data.* keys: it is data_base64
        row(adv("NumberGreaterThan", "data.Temp", "60"), BINARY, false),
        row(adv("IsNullOrUndefined", "data", null), BINARY, true),
        // a member of a string or a number is missing
        row(adv("IsNullOrUndefined", "data.Temp.x", null), TELEMETRY, true),
        row(adv("IsNullOrUndefined", "subject.x", null), TELEMETRY, true),
        // arrays: matched element by element only when enabled
        row(adv("StringIn", "data.tags", "[\"blue\"]"), TELEMETRY, false),
        row(
            "{\"enableAdvancedFilteringOnArrays\": true, \"advancedFilters\": [{\"operatorType\":"
                + " \"StringIn\", \"key\": \"data.tags\", \"values\": [\"blue\"]}]}",
            TELEMETRY,
            true),
        row(
            "{\"enableAdvancedFilteringOnArrays\": true, \"advancedFilters\": [{\"operatorType\":"
                + " \"NumberGreaterThan\", \"key\": \"data.readings\", \"value\": 8}]}",
            TELEMETRY,
            true),
        row(
            "{\"enableAdvancedFilteringOnArrays\": true, \"advancedFilters\": [{\"operatorType\":"
                + " \"NumberNotIn\", \"key\": \"data.readings\", \"values\": [5]}]}",
            TELEMETRY,
            false),
        // several advanced filters: all of them (AND); with the other parts too
        row(
            "{\"advancedFilters\": ["
                + "{\"operatorType\": \"NumberGreaterThan\", \"key\": \"data.Temp\", \"value\": 60},"
                + "{\"operatorType\": \"StringIn\", \"key\": \"data.status\","
                + " \"values\": [\"running\"]}]}",
            TELEMETRY,
            true),
        row(
            "{\"advancedFilters\": ["
                + "{\"operatorType\": \"NumberGreaterThan\", \"key\": \"data.Temp\", \"value\": 60},"
                + "{\"operatorType\": \"StringIn\", \"key\": \"data.status\","
                + " \"values\": [\"stopped\"]}]}",
            TELEMETRY,
            false),
        row(
            "{\"includedEventTypes\": [\"MQTT.EventPublished\"], \"subjectBeginsWith\": \"factory1/\","
                + " \"advancedFilters\": [{\"operatorType\": \"NumberGreaterThan\","
                + " \"key\": \"data.Temp\", \"value\": 60}]}",
            TELEMETRY,
            true),
        row(
            "{\"includedEventTypes\": [\"MQTT.EventPublished\"], \"subjectBeginsWith\": \"factory2/\","
                + " \"advancedFilters\": [{\"operatorType\": \"NumberGreaterThan\","
                + " \"key\": \"data.Temp\", \"value\": 60}]}",
            TELEMETRY,
            false));
  }

  @ParameterizedTest(name = "[{index}] {0} -> {2}")
  @MethodSource("rows")
  void aFilterPassesExactlyTheEventsEventGridWouldPass(
      String filter, CloudEvent event, boolean passes) {
    assertThat(filter(filter).matches(event)).isEqualTo(passes);
  }
}
