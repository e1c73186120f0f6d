package io.mqttgrid.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient.Mqtt5Publishes;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperty;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The console's MQTT client speaking MQTT 5 in a real browser: message properties both ways with a
 * Java client, and reason codes in words.
 */
@WithBroker({"management.token=" + ConsoleMqttBrowserIT.TOKEN})
class ConsoleMqttBrowserIT {

  static final String TOKEN = "console-mqtt-admin-token-0123456789";

  static TestBroker broker;
  static ConsoleBrowser browser;

  @BeforeAll
  static void openBrowser() {
    browser = ConsoleBrowser.openSignedIn(broker.managementPort(), TOKEN);
  }

  @BeforeEach
  void needsBrowser() {
    ConsoleBrowser.assumeAvailable(browser);
  }

  @AfterAll
  static void closeBrowser() throws Exception {
    Closeables.closeAll(browser);
  }

  private static void connect(String clientId, String version) {
    browser.go("mqtt");
    browser.wait.until(
        d -> !browser.field("#mqtt-connect", "WebSocket URL").getAttribute("value").isEmpty());
    new Select(browser.field("#mqtt-connect", "MQTT version")).selectByVisibleText(version);
    browser.type("#mqtt-connect", "Client id", clientId);
    browser.click(By.cssSelector("#mqtt-connect button[type=submit]"));
  }

  @Test
  void aMessagePublishedWithPropertiesFromThePageReachesAJavaClientWithThemExactly()
      throws Exception {
    connect("browser-v5-publisher", "MQTT 5");
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("mqtt-status"),
            "Connected as browser-v5-publisher. CONNACK 0x00 Success, MQTT 5."));

    Mqtt5BlockingClient java = broker.v5("java-v5-receiver");
    java.connect();
    try (Mqtt5Publishes inbox = java.publishes(MqttGlobalPublishFilter.ALL)) {
      java.subscribeWith().topicFilter("console5/from-browser").qos(MqttQos.AT_LEAST_ONCE).send();
      browser.type("#mqtt-publish", "Topic", "console5/from-browser");
      browser.type("#mqtt-publish", "Payload", "{\"t\": 21.5}");
      new Select(browser.field("#mqtt-publish", "QoS")).selectByVisibleText("1");
      browser.type("#mqtt-publish", "Content type", "application/json");
      new Select(browser.field("#mqtt-publish", "Payload format indicator"))
          .selectByVisibleText("1: UTF-8 text");
      browser.type("#mqtt-publish", "Response topic", "console5/replies");
      browser.type("#mqtt-publish", "Correlation data", "req-42");
      browser.type("#mqtt-publish", "Message expiry (seconds)", "3600");
      browser.type("#mqtt-publish", "User properties", "site=north\nsite=south\nkind=a=b");
      browser.click(By.cssSelector("#mqtt-publish button[type=submit]"));

      Optional<Mqtt5Publish> received = inbox.receive(10, TimeUnit.SECONDS);
      assertThat(received).isPresent();
      Mqtt5Publish m = received.get();
      assertThat(m.getTopic().toString()).isEqualTo("console5/from-browser");
      assertThat(new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8))
          .isEqualTo("{\"t\": 21.5}");
      assertThat(m.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
      assertThat(m.getContentType().map(Object::toString)).contains("application/json");
      assertThat(m.getPayloadFormatIndicator()).contains(Mqtt5PayloadFormatIndicator.UTF_8);
      assertThat(m.getResponseTopic().map(Object::toString)).contains("console5/replies");
      assertThat(m.getCorrelationData().map(b -> StandardCharsets.UTF_8.decode(b).toString()))
          .contains("req-42");
      // what is left of the expiry when it is forwarded: at most what was set
      assertThat(m.getMessageExpiryInterval()).isPresent();
      assertThat(m.getMessageExpiryInterval().getAsLong()).isBetween(3590L, 3600L);
      assertThat(m.getUserProperties().asList())
          .extracting(p -> p.getName() + "=" + p.getValue())
          .containsExactly("site=north", "site=south", "kind=a=b");
      browser.wait.until(
          ExpectedConditions.textToBePresentInElementLocated(
              By.id("mqtt-status"), "Published to console5/from-browser (PUBACK 0x00 Success)."));
    } finally {
      java.disconnect();
    }
  }

  @Test
  void theUserPropertiesOfAJavaClientsMessageAreShownOnThePage() throws Exception {
    connect("browser-v5-receiver", "MQTT 5");
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("mqtt-status"), "Connected as browser-v5-receiver."));
    browser.type("#mqtt-subscribe", "Filter", "console5/to-browser/#");
    browser.click(By.cssSelector("#mqtt-subscribe button[type=submit]"));
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("mqtt-status"),
            "Subscribed to console5/to-browser/# (SUBACK 0x00 Granted QoS 0)."));

    Mqtt5BlockingClient java = broker.v5("java-v5-publisher");
    java.connect();
    try {
      java.publishWith()
          .topic("console5/to-browser/reading")
          .qos(MqttQos.AT_LEAST_ONCE)
          .contentType("text/plain")
          .responseTopic("console5/answers")
          .correlationData("abc".getBytes(StandardCharsets.UTF_8))
          .userProperties(
              com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties.of(
                  List.of(
                      Mqtt5UserProperty.of("unit", "celsius"),
                      Mqtt5UserProperty.of("sensor", "t-7"))))
          .payload("19.5".getBytes(StandardCharsets.UTF_8))
          .send();
    } finally {
      java.disconnect();
    }
    By message =
        By.cssSelector("#mqtt-messages .message[data-topic='console5/to-browser/reading']");
    browser.visible(message);
    String shown = browser.text(message);
    assertThat(shown)
        .contains("console5/to-browser/reading [QoS 0] 19.5")
        .contains("Content type\ntext/plain")
        .contains("Response topic\nconsole5/answers")
        .contains("Correlation data\nabc")
        .contains("User property unit\ncelsius")
        .contains("User property sensor\nt-7");
    browser.screenshot("console-mqtt");
  }

  @Test
  void aRefusedConnectShowsItsReasonCodeInWordsAtTheClientId() {
    // client ids under $bridge/ are the bridges' own: CONNACK 0x85 for an MQTT client
    connect("$bridge/not-a-client", "MQTT 5");
    browser.wait.until(
        d -> browser.errorAt("#mqtt-connect", "Client id").startsWith("CONNACK 0x85"));
    assertThat(browser.errorAt("#mqtt-connect", "Client id"))
        .startsWith("CONNACK 0x85 Client Identifier not valid");
    assertThat(browser.field("#mqtt-connect", "Client id").getAttribute("aria-invalid"))
        .isEqualTo("true");

    connect("$bridge/not-a-client", "MQTT 3.1.1");
    browser.wait.until(
        d -> browser.errorAt("#mqtt-connect", "Client id").startsWith("CONNACK 0x02"));
    assertThat(browser.errorAt("#mqtt-connect", "Client id"))
        .isEqualTo("CONNACK 0x02 identifier rejected");
  }

  @Test
  void anAdministrativeDisconnectIsShownInWords() throws Exception {
    connect("browser-v5-dropped", "MQTT 5");
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("mqtt-status"), "Connected as browser-v5-dropped."));
    HttpResponse<String> answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + broker.managementPort()
                                + "/namespaces/mqttgrid/connections/browser-v5-dropped/disconnect"))
                    .header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(200);
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("mqtt-status"),
            "Disconnected by the server: DISCONNECT 0x98 Administrative action"));
  }
}
