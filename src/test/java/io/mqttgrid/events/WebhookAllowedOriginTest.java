package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which WebHook-Allowed-Origin answers let routing send (docs/routing.md#webhook-validation). */
class WebhookAllowedOriginTest {

  @Test
  void ourOriginOrAStarInAnyHeaderOrListAllowsUs() {
    assertThat(WebhookSender.allowed(List.of("mqttgrid"))).isTrue();
    assertThat(WebhookSender.allowed(List.of("MQTTGrid"))).isTrue();
    assertThat(WebhookSender.allowed(List.of("*"))).isTrue();
    assertThat(WebhookSender.allowed(List.of("eventgrid.azure.net, mqttgrid"))).isTrue();
    assertThat(WebhookSender.allowed(List.of("eventgrid.azure.net", " * "))).isTrue();
  }

  @Test
  void anotherOriginOrNoneDoesNot() {
    assertThat(WebhookSender.allowed(List.of())).isFalse();
    assertThat(WebhookSender.allowed(List.of(""))).isFalse();
    assertThat(WebhookSender.allowed(List.of("eventgrid.azure.net"))).isFalse();
    assertThat(WebhookSender.allowed(List.of("mqttgrid.example.com"))).isFalse();
  }
}
