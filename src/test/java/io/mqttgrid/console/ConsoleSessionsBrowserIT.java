package io.mqttgrid.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient.Mqtt5Publishes;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The console's connections and sessions pages and its MQTT client in a real browser, against real
 * MQTT clients. One browser for the class.
 */
@WithBroker({"management.token=" + ConsoleSessionsBrowserIT.TOKEN})
class ConsoleSessionsBrowserIT {

  static final String TOKEN = "console-sessions-admin-token-0123456789";

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

  @Test
  void aConnectionFoundBySearchAndDisconnectedInTheUiDropsWithAdministrativeAction()
      throws Exception {
    CompletableFuture<Mqtt5DisconnectException> dropped = new CompletableFuture<>();
    Mqtt5BlockingClient target =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("ui-disconnect-target")
            .serverHost("127.0.0.1")
            .serverPort(broker.mqttPort())
            .addDisconnectedListener(
                ctx -> {
                  if (ctx.getCause() instanceof Mqtt5DisconnectException e) {
                    dropped.complete(e);
                  }
                })
            .buildBlocking();
    target.connect();
    Mqtt5BlockingClient bystander = broker.v5("ui-bystander");
    bystander.connect();
    try {
      browser.go("connections");
      browser.type(
          "form[role=search]", "Client id or authentication name contains", "DISCONNECT-T");
      browser.click(By.id("connection-search-button"));
      browser.wait.until(
          ExpectedConditions.textToBePresentInElementLocated(
              By.id("connections-status"), "1 connection(s)"));
      assertThat(browser.driver.findElements(By.cssSelector("#connections tbody tr")))
          .singleElement()
          .satisfies(
              row ->
                  assertThat(row.getAttribute("data-client-id")).isEqualTo("ui-disconnect-target"));
      browser.screenshot("console-connections");

      browser.click(By.cssSelector("button[aria-label='Disconnect ui-disconnect-target']"));
      assertThat(dropped.get(10, TimeUnit.SECONDS).getMqttMessage().getReasonCode())
          .isEqualTo(Mqtt5DisconnectReasonCode.ADMINISTRATIVE_ACTION);
      browser.wait.until(
          ExpectedConditions.textToBePresentInElementLocated(
              By.id("connections-status"), "0 connection(s)"));
      assertThat(bystander.getState().isConnected()).isTrue();
    } finally {
      bystander.disconnect();
    }
  }

  @Test
  void anOfflineSessionIsFoundWithItsQueueAndDeletedFromThePage() throws Exception {
    Mqtt5BlockingClient sleeper = broker.v5("ui-sleeper");
    sleeper.connectWith().sessionExpiryInterval(3600).send();
    sleeper.subscribeWith().topicFilter("ui-sleeper/in").qos(MqttQos.AT_LEAST_ONCE).send();
    sleeper.disconnect();
    Mqtt5BlockingClient publisher = broker.v5("ui-sleeper-publisher");
    publisher.connect();
    try {
      publisher.publishWith().topic("ui-sleeper/in").qos(MqttQos.AT_LEAST_ONCE).send();
    } finally {
      publisher.disconnect();
    }
    browser.go("sessions");
    browser.type("#sessions-search", "Client id contains", "ui-sleeper");
    browser.click(By.cssSelector("#sessions-search button[type=submit]"));
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.cssSelector("#sessions tr[data-client-id='ui-sleeper'] .queued"), "1"));
    assertThat(browser.text(By.cssSelector("#sessions tr[data-client-id='ui-sleeper'] .state")))
        .isEqualTo("offline");
    browser.screenshot("console-sessions");

    browser.click(By.cssSelector("button[aria-label='Delete session ui-sleeper']"));
    browser.wait.until(ExpectedConditions.alertIsPresent()).accept();
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("sessions-status"), "0 session(s) shown of 0"));
    Mqtt5BlockingClient again = broker.v5("ui-sleeper");
    try {
      assertThat(again.connectWith().cleanStart(false).send().isSessionPresent()).isFalse();
    } finally {
      again.disconnect();
    }
  }

  @Test
  void theBrowserClientAndAJavaClientExchangeMessagesOverTheWebSocketListener() throws Exception {
    browser.go("mqtt");
    browser.wait.until(
        d -> !browser.field("#mqtt-connect", "WebSocket URL").getAttribute("value").isEmpty());
    assertThat(browser.field("#mqtt-connect", "WebSocket URL").getAttribute("value"))
        .isEqualTo("ws://127.0.0.1:" + broker.websocketPort() + "/mqtt");
    browser.type("#mqtt-connect", "Client id", "browser-client");
    browser.click(By.cssSelector("#mqtt-connect button[type=submit]"));
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("mqtt-status"), "Connected as browser-client."));
    browser.type("#mqtt-subscribe", "Filter", "console/to-browser/#");
    browser.click(By.cssSelector("#mqtt-subscribe button[type=submit]"));
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("mqtt-status"), "Subscribed to console/to-browser/#"));

    Mqtt5BlockingClient java = broker.v5("java-peer");
    java.connect();
    try (Mqtt5Publishes inbox =
        java.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      java.subscribeWith().topicFilter("console/from-browser").qos(MqttQos.AT_LEAST_ONCE).send();
      java.publishWith()
          .topic("console/to-browser/greeting")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("hello browser".getBytes(StandardCharsets.UTF_8))
          .send();
      browser.wait.until(
          ExpectedConditions.textToBePresentInElementLocated(
              By.id("mqtt-messages"), "console/to-browser/greeting [QoS 0] hello browser"));

      browser.type("#mqtt-publish", "Topic", "console/from-browser");
      browser.type("#mqtt-publish", "Payload", "hello java");
      browser.click(By.cssSelector("#mqtt-publish button[type=submit]"));
      Optional<Mqtt5Publish> received = inbox.receive(10, TimeUnit.SECONDS);
      assertThat(received).isPresent();
      assertThat(received.get().getTopic().toString()).isEqualTo("console/from-browser");
      assertThat(new String(received.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
          .isEqualTo("hello java");
    } finally {
      java.disconnect();
    }
  }

  @Test
  void aRetainedMessageIsFoundShownAsJsonAndDeletedFromThePage() throws Exception {
    Mqtt5BlockingClient java = broker.v5("retained-source");
    java.connect();
    try {
      java.publishWith()
          .topic("console-ui/retained/state")
          .retain(true)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("{\"on\":true}".getBytes(StandardCharsets.UTF_8))
          .send();
    } finally {
      java.disconnect();
    }
    browser.go("retained");
    browser.type("#retained-search", "Topic filter", "console-ui/#");
    browser.click(By.cssSelector("#retained-search button[type=submit]"));
    browser.visible(By.cssSelector("#retained tr[data-topic='console-ui/retained/state']"));
    browser.click(By.cssSelector("button[aria-label='View console-ui/retained/state']"));
    new org.openqa.selenium.support.ui.Select(browser.field("#retained-detail", "Show payload as"))
        .selectByVisibleText("JSON");
    assertThat(browser.text(By.id("retained-payload"))).isEqualTo("{\n  \"on\": true\n}");
    browser.screenshot("console-retained");

    browser.click(By.cssSelector("button[aria-label='Delete console-ui/retained/state']"));
    browser.wait.until(ExpectedConditions.alertIsPresent()).accept();
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("retained-status"), "0 retained message(s) shown"));
    Mqtt5BlockingClient late = broker.v5("retained-late");
    late.connect();
    try (Mqtt5Publishes inbox =
        late.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      late.subscribeWith().topicFilter("console-ui/#").send();
      assertThat(inbox.receive(1, TimeUnit.SECONDS)).isEmpty();
    } finally {
      late.disconnect();
    }
  }
}
