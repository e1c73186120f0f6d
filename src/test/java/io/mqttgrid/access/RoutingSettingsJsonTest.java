package io.mqttgrid.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The routing settings of the namespace (docs/routing.md) to and from JSON, and their checks. */
class RoutingSettingsJsonTest {

  private static final String SETTINGS =
      """
      {"routeDestination": {"webhook": {"endpointUrl": "https://example.test/events",
                                         "maxEventsPerBatch": 5}},
       "routingEnrichments": {
         "static": [{"key": "region", "valueType": "String", "value": "eu1"}],
         "dynamic": [{"key": "clientname", "value": "${client.authenticationName}"},
                     {"key": "odd", "value": "${mqtt.message.userProperties['a\\\\'b']}"}]}}
      """;

  @Test
  void routingSettingsAreReadAndShownInTheSameShape() {
    NamespaceSettings s = NamespaceModelJson.settings(new JsonObject(SETTINGS));
    RoutingSettings r = s.routing();
    assertThat(r.destination())
        .isEqualTo(new RoutingSettings.Destination("https://example.test/events", 5));
    assertThat(r.enrichments()).hasSize(3);
    assertThat(r.enrichments().get(0).isStatic()).isTrue();
    assertThat(r.enrichments().get(1).source()).isEqualTo(new RoutingSettings.AuthenticationName());
    assertThat(r.enrichments().get(2).source()).isEqualTo(new RoutingSettings.UserProperty("a'b"));
    JsonObject shown = NamespaceModelJson.toJson(s);
    JsonObject expected = new JsonObject(SETTINGS);
    assertThat(shown.getJsonObject("routeDestination"))
        .isEqualTo(expected.getJsonObject("routeDestination"));
    assertThat(shown.getJsonObject("routingEnrichments"))
        .isEqualTo(expected.getJsonObject("routingEnrichments"));
    assertThat(NamespaceModelJson.settings(shown)).isEqualTo(s);
  }

  @Test
  void withoutADestinationRoutingIsOff() {
    assertThat(NamespaceModelJson.settings(new JsonObject()).routing())
        .isEqualTo(RoutingSettings.NONE);
  }

  @Test
  void mistakesNameTheirField() {
    assertThatThrownBy(
            () ->
                NamespaceModelJson.settings(
                    new JsonObject(
                        """
                        {"routeDestination": {"webhook": {"endpointUrl": "ftp://x/y"}}}""")))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("settings.routeDestination.webhook.endpointUrl");
    assertThatThrownBy(
            () ->
                NamespaceModelJson.settings(
                    new JsonObject(
                        """
                        {"routingEnrichments": {"dynamic": [{"key": "k", "value": "${x}"}]}}""")))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("settings.routingEnrichments.dynamic.k.value");
    assertThatThrownBy(
            () ->
                NamespaceModelJson.settings(
                    new JsonObject(
                        """
                        {"routingEnrichments": {"static": [{"key": "type", "value": "x"}]}}""")))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("reserved");
    assertThatThrownBy(
            () ->
                NamespaceModelJson.settings(
                    new JsonObject(
                        """
                        {"routingEnrichments": {"static": [{"key": "k", "valueType": "Int",
                          "value": "1"}]}}""")))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("String");
  }

  @Test
  void aKafkaDestinationIsReadWithItsDefaultsAndShownInTheSameShape() {
    NamespaceSettings s =
        NamespaceModelJson.settings(
            new JsonObject(
                """
                {"routeDestination": {"kafka": {"bootstrapServers": "k1:9092,k2:9092",
                  "topic": "mqtt.events", "key": "ClientId",
                  "producerSettings": {"compression.type": "zstd", "linger.ms": 20}}}}"""));
    RoutingSettings.Destination d = s.routing().destination();
    assertThat(d.kafka())
        .isEqualTo(
            new RoutingSettings.KafkaDestination(
                "k1:9092,k2:9092",
                "mqtt.events",
                RoutingSettings.KafkaKey.CLIENT_ID,
                false,
                java.util.Map.of("compression.type", "zstd", "linger.ms", "20")));
    assertThat(d.maxEventsPerBatch()).isEqualTo(100);
    JsonObject shown = NamespaceModelJson.toJson(s);
    assertThat(shown.getJsonObject("routeDestination").getJsonObject("kafka").getString("key"))
        .isEqualTo("ClientId");
    assertThat(NamespaceModelJson.settings(shown)).isEqualTo(s);
    RoutingSettings.Destination byTopic =
        NamespaceModelJson.settings(
                new JsonObject(
                    """
                    {"routeDestination": {"kafka": {"bootstrapServers": "k1:9092",
                      "topic": "t", "contentMode": "Structured"}}}"""))
            .routing()
            .destination();
    assertThat(byTopic.kafka().key()).isEqualTo(RoutingSettings.KafkaKey.TOPIC);
    assertThat(byTopic.kafka().structured()).isTrue();
  }

  @Test
  void kafkaMistakesNameTheirField() {
    String[][] cases = {
      {"{\"bootstrapServers\": \"k1\", \"topic\": \"t\"}", "kafka.bootstrapServers"},
      {"{\"bootstrapServers\": \"k1:9092\", \"topic\": \"a b\"}", "kafka.topic"},
      {"{\"bootstrapServers\": \"k1:9092\"}", "kafka.topic"},
      {"{\"bootstrapServers\": \"k1:9092\", \"topic\": \"t\", \"key\": \"Qos\"}", "kafka.key"},
      {
        "{\"bootstrapServers\": \"k1:9092\", \"topic\": \"t\", \"contentMode\": \"Mixed\"}",
        "kafka.contentMode"
      },
      {
        "{\"bootstrapServers\": \"k1:9092\", \"topic\": \"t\","
            + " \"producerSettings\": {\"bootstrap.servers\": \"evil:1\"}}",
        "kafka.producerSettings.bootstrap.servers"
      },
    };
    for (String[] c : cases) {
      assertThatThrownBy(
              () ->
                  NamespaceModelJson.settings(
                      new JsonObject("{\"routeDestination\": {\"kafka\": " + c[0] + "}}")))
          .as(c[0])
          .isInstanceOf(ModelValidationException.class)
          .hasMessageContaining("settings.routeDestination." + c[1]);
    }
  }

  @Test
  void aWebhooksStaticDeliveryAttributesAreHeadersShownInTheSameShape() {
    String json =
        """
        {"routeDestination": {"webhook": {"endpointUrl": "https://example.test/events",
          "maxEventsPerBatch": 1, "deliveryAttributeMappings": [
            {"name": "X-Secret", "type": "Static", "properties": {"value": "abc"}}]}}}""";
    NamespaceSettings s = NamespaceModelJson.settings(new JsonObject(json));
    assertThat(s.routing().destination().headers()).isEqualTo(java.util.Map.of("X-Secret", "abc"));
    assertThat(NamespaceModelJson.toJson(s).getJsonObject("routeDestination"))
        .isEqualTo(new JsonObject(json).getJsonObject("routeDestination"));
    assertThatThrownBy(
            () ->
                NamespaceModelJson.settings(
                    new JsonObject(
                        """
                        {"routeDestination": {"webhook": {"endpointUrl": "https://x.test/e",
                          "deliveryAttributeMappings": [
                            {"name": "X-Secret", "type": "Dynamic",
                             "properties": {"sourceField": "data.x"}}]}}}""")))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining(
            "settings.routeDestination.webhook.deliveryAttributeMappings[0].type");
  }
}
