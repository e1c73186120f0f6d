package io.mqttgrid.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqttgrid.access.EventSubscription.Operator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The namespace settings' {@code eventSubscriptions} (docs/routing.md) to and from JSON, and their
 * checks: each mistake names its field.
 */
class EventSubscriptionSettingsJsonTest {

  private static final String SETTINGS =
      """
      {"routeDestination": {"webhook": {"endpointUrl": "http://127.0.0.1:8099/all"}},
       "eventSubscriptions": [
         {"name": "hot-machines",
          "filter": {"includedEventTypes": ["MQTT.EventPublished"],
                     "subjectBeginsWith": "factory1/", "subjectEndsWith": "/telemetry",
                     "isSubjectCaseSensitive": true, "enableAdvancedFilteringOnArrays": true,
                     "advancedFilters": [
                       {"operatorType": "NumberGreaterThan", "key": "data.Temp", "value": 60.0},
                       {"operatorType": "NumberInRange", "key": "data.x", "values": [[1.0, 2.5]]},
                       {"operatorType": "BoolEquals", "key": "data.ok", "value": true},
                       {"operatorType": "StringIn", "key": "clienttype", "values": ["a", "b"]},
                       {"operatorType": "IsNotNull", "key": "data.y"}]},
          "destination": {"webhook": {"endpointUrl": "http://127.0.0.1:8098/hot",
                                      "maxEventsPerBatch": 10}}},
         {"name": "sessions",
          "destination": {"webhook": {"endpointUrl": "https://example.test/s"}}}]}
      """;

  @Test
  void subscriptionsAreReadAndShownInTheSameShapeAndSurviveTheStoredForm() {
    NamespaceSettings s = NamespaceModelJson.settings(new JsonObject(SETTINGS));
    List<EventSubscription> subs = s.routing().subscriptions();
    assertThat(subs)
        .extracting(EventSubscription::name)
        .containsExactly("hot-machines", "sessions");
    EventSubscription hot = subs.get(0);
    assertThat(hot.destination())
        .isEqualTo(new RoutingSettings.Destination("http://127.0.0.1:8098/hot", 10));
    assertThat(hot.filter().advancedFilters())
        .extracting(EventSubscription.AdvancedFilter::operatorType)
        .containsExactly(
            Operator.NumberGreaterThan,
            Operator.NumberInRange,
            Operator.BoolEquals,
            Operator.StringIn,
            Operator.IsNotNull);
    assertThat(subs.get(1).filter()).isEqualTo(EventSubscription.Filter.ALL);
    assertThat(s.routing().routingOn()).isTrue();

    JsonObject shown = NamespaceModelJson.toJson(s);
    JsonObject expectedHot =
        new JsonObject(SETTINGS).getJsonArray("eventSubscriptions").getJsonObject(0);
    assertThat(shown.getJsonArray("eventSubscriptions").getJsonObject(0)).isEqualTo(expectedHot);
    // the settings are stored as JSON in the cluster and read back by every node
    assertThat(NamespaceModelJson.settings(new JsonObject(shown.encode()))).isEqualTo(s);
  }

  @Test
  void aSubscriptionsOwnRetryPolicyAndDeadLetterDestinationAreReadShownAndStored() {
    String settings =
        """
        {"eventSubscriptions": [
          {"name": "own",
           "destination": {"webhook": {"endpointUrl": "http://127.0.0.1:8098/own"}},
           "deliveryConfiguration": {
             "maxDeliveryCount": 5, "eventTimeToLive": "PT10M",
             "deadLetterDestination": {"webhook": {"endpointUrl": "http://127.0.0.1:8098/dead"}}}},
          {"name": "ttl-only",
           "destination": {"webhook": {"endpointUrl": "http://127.0.0.1:8098/t"}},
           "deliveryConfiguration": {"eventTimeToLive": "P1D"}},
          {"name": "node-policy",
           "destination": {"webhook": {"endpointUrl": "http://127.0.0.1:8098/n"}}}]}
        """;
    NamespaceSettings s = NamespaceModelJson.settings(new JsonObject(settings));
    List<EventSubscription> subs = s.routing().subscriptions();
    assertThat(subs.get(0).delivery())
        .isEqualTo(
            new EventSubscription.Delivery(
                5,
                java.time.Duration.ofMinutes(10),
                new RoutingSettings.Destination("http://127.0.0.1:8098/dead", 1)));
    assertThat(subs.get(1).delivery())
        .isEqualTo(new EventSubscription.Delivery(null, java.time.Duration.ofDays(1), null));
    assertThat(subs.get(2).delivery()).isEqualTo(EventSubscription.Delivery.DEFAULTS);

    JsonArray shown = NamespaceModelJson.toJson(s).getJsonArray("eventSubscriptions");
    assertThat(shown.getJsonObject(0).getJsonObject("deliveryConfiguration"))
        .isEqualTo(
            new JsonObject(
                """
                {"maxDeliveryCount": 5, "eventTimeToLive": "PT10M",
                 "deadLetterDestination": {"webhook": {"endpointUrl": "http://127.0.0.1:8098/dead",
                   "maxEventsPerBatch": 1}}}"""));
    assertThat(shown.getJsonObject(1).getJsonObject("deliveryConfiguration"))
        .isEqualTo(new JsonObject().put("eventTimeToLive", "PT24H"));
    assertThat(shown.getJsonObject(2).containsKey("deliveryConfiguration")).isFalse();
    assertThat(NamespaceModelJson.settings(new JsonObject(NamespaceModelJson.toJson(s).encode())))
        .isEqualTo(s);
  }

  @Test
  void subscriptionsAloneTurnRoutingOn() {
    JsonObject o = new JsonObject(SETTINGS);
    o.remove("routeDestination");
    RoutingSettings r = NamespaceModelJson.settings(o).routing();
    assertThat(r.destination()).isNull();
    assertThat(r.routingOn()).isTrue();
    assertThat(NamespaceModelJson.settings(new JsonObject()).routing().routingOn()).isFalse();
  }

  static Stream<Arguments> mistakes() {
    return Stream.of(
        Arguments.of("{\"eventSubscriptions\": {}}", "settings.eventSubscriptions"),
        Arguments.of(
            "{\"eventSubscriptions\": [{\"name\": \"a b\"}]}",
            "settings.eventSubscriptions[0].name"),
        Arguments.of(
            "{\"eventSubscriptions\": [{\"name\": \"ab\"}]}",
            "settings.eventSubscriptions[0].name"),
        Arguments.of(
            "{\"eventSubscriptions\": [{\"name\": \"sub1\"}]}",
            "settings.eventSubscriptions.sub1.destination"),
        Arguments.of(
            "{\"eventSubscriptions\": [" + sub("sub1", "{}") + ", " + sub("SUB1", "{}") + "]}",
            "settings.eventSubscriptions[1].name"),
        Arguments.of(
            "{\"eventSubscriptions\": [{\"name\": \"sub1\", \"destination\": {\"webhook\":"
                + " {\"endpointUrl\": \"ftp://x/y\"}}}]}",
            "settings.eventSubscriptions.sub1.destination.webhook.endpointUrl"),
        Arguments.of(
            subs("{\"includedEventTypes\": \"MQTT.EventPublished\"}"),
            "settings.eventSubscriptions.sub1.filter.includedEventTypes"),
        Arguments.of(
            subs("{\"isSubjectCaseSensitive\": \"yes\"}"),
            "settings.eventSubscriptions.sub1.filter.isSubjectCaseSensitive"),
        Arguments.of(
            subs("{\"advancedFilters\": [{\"operatorType\": \"NumberBetween\", \"key\": \"k\"}]}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[0].operatorType"),
        Arguments.of(
            subs("{\"advancedFilters\": [{\"operatorType\": \"IsNotNull\"}]}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[0].key"),
        Arguments.of(
            subs(
                "{\"advancedFilters\": [{\"operatorType\": \"IsNotNull\", \"key\": \"data..a\"}]}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[0].key"),
        Arguments.of(
            subs(
                "{\"advancedFilters\": [{\"operatorType\": \"NumberGreaterThan\", \"key\": \"k\","
                    + " \"value\": \"5\"}]}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[0].value"),
        Arguments.of(
            subs(
                "{\"advancedFilters\": [{\"operatorType\": \"NumberIn\", \"key\": \"k\","
                    + " \"value\": 5}]}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[0].values"),
        Arguments.of(
            subs(
                "{\"advancedFilters\": [{\"operatorType\": \"StringIn\", \"key\": \"k\","
                    + " \"values\": [1]}]}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[0].values"),
        Arguments.of(
            subs(
                "{\"advancedFilters\": [{\"operatorType\": \"NumberInRange\", \"key\": \"k\","
                    + " \"values\": [[2, 1]]}]}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[0].values"),
        Arguments.of(
            subs(
                "{\"advancedFilters\": [{\"operatorType\": \"BoolEquals\", \"key\": \"k\","
                    + " \"value\": 1}]}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[0].value"),
        Arguments.of(
            subs(
                "{\"advancedFilters\": [{\"operatorType\": \"StringIn\", \"key\": \"k\","
                    + " \"values\": [\""
                    + "x".repeat(513)
                    + "\"]}]}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[0].values"),
        // Event Grid's limits: 25 advanced filters, 25 values across them
        Arguments.of(
            subs("{\"advancedFilters\": " + filters(26, 0) + "}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters"),
        Arguments.of(
            subs("{\"advancedFilters\": " + filters(13, 2) + "}"),
            "settings.eventSubscriptions.sub1.filter.advancedFilters[12]"),
        Arguments.of(
            delivery("{\"maxDeliveryCount\": 0}"),
            "settings.eventSubscriptions.sub1.deliveryConfiguration.maxDeliveryCount"),
        Arguments.of(
            delivery("{\"maxDeliveryCount\": 1001}"),
            "settings.eventSubscriptions.sub1.deliveryConfiguration.maxDeliveryCount"),
        Arguments.of(
            delivery("{\"maxDeliveryCount\": 2.5}"),
            "settings.eventSubscriptions.sub1.deliveryConfiguration.maxDeliveryCount"),
        Arguments.of(
            delivery("{\"maxDeliveryCount\": \"5\"}"),
            "settings.eventSubscriptions.sub1.deliveryConfiguration.maxDeliveryCount"),
        Arguments.of(
            delivery("{\"eventTimeToLive\": \"10 minutes\"}"),
            "settings.eventSubscriptions.sub1.deliveryConfiguration.eventTimeToLive"),
        Arguments.of(
            delivery("{\"eventTimeToLive\": \"PT0S\"}"),
            "settings.eventSubscriptions.sub1.deliveryConfiguration.eventTimeToLive"),
        Arguments.of(
            delivery("{\"eventTimeToLive\": \"P366D\"}"),
            "settings.eventSubscriptions.sub1.deliveryConfiguration.eventTimeToLive"),
        Arguments.of(
            delivery("{\"deadLetterDestination\": {\"webhook\": {\"endpointUrl\": \"ftp://x\"}}}"),
            "settings.eventSubscriptions.sub1.deliveryConfiguration.deadLetterDestination.webhook"
                + ".endpointUrl"),
        Arguments.of(delivery("[]"), "settings.eventSubscriptions.sub1.deliveryConfiguration"));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("mistakes")
  void aMistakeNamesItsField(String settings, String field) {
    assertThatThrownBy(() -> NamespaceModelJson.settings(new JsonObject(settings)))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining(field + ":");
  }

  @Test
  void theLimitsThemselvesAreAccepted() {
    assertThat(
            NamespaceModelJson.settings(
                    new JsonObject(subs("{\"advancedFilters\": " + filters(25, 1) + "}")))
                .routing()
                .subscriptions()
                .get(0)
                .filter()
                .advancedFilters())
        .hasSize(25);
  }

  private static String sub(String name, String filter) {
    return "{\"name\": \""
        + name
        + "\", \"filter\": "
        + filter
        + ", \"destination\": {\"webhook\": {\"endpointUrl\": \"http://127.0.0.1:1/x\"}}}";
  }

  private static String delivery(String deliveryConfiguration) {
    return "{\"eventSubscriptions\": [{\"name\": \"sub1\", \"destination\": {\"webhook\":"
        + " {\"endpointUrl\": \"http://127.0.0.1:1/x\"}}, \"deliveryConfiguration\": "
        + deliveryConfiguration
        + "}]}";
  }

  private static String subs(String filter) {
    return "{\"eventSubscriptions\": [" + sub("sub1", filter) + "]}";
  }

  /** {@code n} StringIn filters of {@code values} values each (IsNotNull when 0). */
  private static String filters(int n, int values) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < n; i++) {
      JsonObject f = new JsonObject().put("key", "data.k" + i);
      if (values == 0) {
        f.put("operatorType", "IsNotNull");
      } else {
        JsonArray v = new JsonArray();
        for (int j = 0; j < values; j++) {
          v.add("v" + j);
        }
        f.put("operatorType", "StringIn").put("values", v);
      }
      a.add(f);
    }
    return a.encode();
  }
}
