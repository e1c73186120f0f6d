package io.mqttgrid.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** {@code clientLifecycleEvents} of the namespace settings (docs/routing.md) to and from JSON. */
class ClientLifecycleSettingsJsonTest {

  private static final String SETTINGS =
      """
      {"routeDestination": {"webhook": {"endpointUrl": "https://example.test/events",
                                         "maxEventsPerBatch": 1}},
       "clientLifecycleEvents": {"enabled": true}}
      """;

  @Test
  void lifecycleEventsAreReadAndShownInTheSameShape() {
    NamespaceSettings s = NamespaceModelJson.settings(new JsonObject(SETTINGS));
    assertThat(s.routing().clientLifecycleEvents()).isTrue();
    JsonObject shown = NamespaceModelJson.toJson(s);
    assertThat(shown.getJsonObject("clientLifecycleEvents"))
        .isEqualTo(new JsonObject().put("enabled", true));
    assertThat(NamespaceModelJson.settings(shown)).isEqualTo(s);
  }

  @Test
  void theyAreOffUnlessEnabled() {
    assertThat(NamespaceModelJson.settings(new JsonObject()).routing().clientLifecycleEvents())
        .isFalse();
    assertThat(
            NamespaceModelJson.settings(
                    new JsonObject("{\"clientLifecycleEvents\": {\"enabled\": false}}"))
                .routing()
                .clientLifecycleEvents())
        .isFalse();
  }

  @Test
  void theEventGridSchemaIsReadAndShown() {
    NamespaceSettings s =
        NamespaceModelJson.settings(
            new JsonObject(
                "{\"clientLifecycleEvents\": {\"enabled\": true,"
                    + " \"eventDeliverySchema\": \"EventGridSchema\"}}"));
    assertThat(s.routing().lifecycleEventGridSchema()).isTrue();
    assertThat(NamespaceModelJson.toJson(s).getJsonObject("clientLifecycleEvents"))
        .isEqualTo(
            new JsonObject().put("enabled", true).put("eventDeliverySchema", "EventGridSchema"));
    assertThat(NamespaceModelJson.settings(NamespaceModelJson.toJson(s))).isEqualTo(s);
    assertThatThrownBy(
            () ->
                NamespaceModelJson.settings(
                    new JsonObject(
                        "{\"clientLifecycleEvents\": {\"eventDeliverySchema\": \"Custom\"}}")))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("settings.clientLifecycleEvents.eventDeliverySchema");
  }

  @Test
  void enabledIsABoolean() {
    assertThatThrownBy(
            () ->
                NamespaceModelJson.settings(
                    new JsonObject("{\"clientLifecycleEvents\": {\"enabled\": \"yes\"}}")))
        .isInstanceOf(ModelValidationException.class)
        .hasMessageContaining("settings.clientLifecycleEvents.enabled");
  }
}
