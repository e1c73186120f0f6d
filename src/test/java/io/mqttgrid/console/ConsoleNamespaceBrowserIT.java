package io.mqttgrid.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.mqttgrid.auth.PasswordHashes;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: sign-in, the namespace pages (CA certificates and settings too),
 * the access explainer, the overview's live chart. One browser for the class; the tests run in
 * order, each leaving the browser signed in.
 */
@WithBroker(configMethod = "brokerConfig")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleNamespaceBrowserIT {

  private static final String TOKEN = "console-browser-admin-token-0123456789";

  @TempDir static Path dir;
  static TestBroker broker;
  static ConsoleBrowser browser;

  static Map<String, String> brokerConfig() throws Exception {
    Path file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          clientAuthentication:
            passwordAuthentication: { enabled: true }
        """,
        StandardCharsets.UTF_8);
    return Map.of(
        "namespace.file", file.toString(), "management.token", TOKEN, "auth.anonymous", "false");
  }

  @BeforeAll
  static void openBrowser() {
    browser = ConsoleBrowser.open(broker.managementPort());
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
  @Order(1)
  void aWrongTokenIsRefusedAtTheTokenFieldAndTheRightOneSignsIn() throws Exception {
    browser.signIn("not-the-token");
    browser.wait.until(d -> !browser.errorAt("#sign-in-form", "Token").isEmpty());
    assertThat(browser.errorAt("#sign-in-form", "Token")).startsWith("Sign-in refused");
    assertThat(browser.field("#sign-in-form", "Token").getAttribute("aria-invalid"))
        .isEqualTo("true");
    assertThat(browser.driver.findElement(By.id("nav")).isDisplayed()).isFalse();
    browser.screenshot("console-sign-in");

    browser.signIn(TOKEN);
    browser.visible(By.cssSelector("#overview-cards .card"));
    assertThat(browser.text(By.cssSelector("#page h1"))).isEqualTo("Cluster overview");
  }

  @Test
  @Order(2)
  void anApiErrorAppearsAtTheFieldItNames() {
    browser.go("clients");
    browser.click(By.id("new-resource"));
    browser.type("#resource-form", "Name", "bad-attributes");
    browser.type("#resource-form", "Attributes (JSON object)", "{\"bad-key\": 1}");
    browser.click(By.cssSelector("#resource-form button[type=submit]"));
    browser.wait.until(
        d -> !browser.errorAt("#resource-form", "Attributes (JSON object)").isEmpty());
    assertThat(browser.errorAt("#resource-form", "Attributes (JSON object)"))
        .contains("properties.attributes.bad-key");
    assertThat(browser.errorAt("#resource-form", "Name")).isEmpty();
    assertThat(
            browser
                .field("#resource-form", "Attributes (JSON object)")
                .getAttribute("aria-invalid"))
        .isEqualTo("true");
  }

  @Test
  @Order(3)
  void aClientTopicSpaceAndBindingMadeInTheUiGiveARealClientExactlyThoseRights() throws Exception {
    browser.go("topicSpaces");
    browser.click(By.id("new-resource"));
    browser.type("#resource-form", "Name", "sensors");
    browser.type(
        "#resource-form", "Topic templates (one a line)", "sensors/${client.authenticationName}/#");
    save("sensors");

    browser.go("clients");
    browser.click(By.id("new-resource"));
    browser.type("#resource-form", "Name", "sensor1");
    browser.type("#resource-form", "Attributes (JSON object)", "{\"kind\": \"probe\"}");
    browser.type(
        "#resource-form",
        "Password hash (pbkdf2-sha256$...)",
        PasswordHashes.hash("sensor-secret".toCharArray(), 1000));
    save("sensor1");
    browser.screenshot("console-clients");

    browser.go("permissionBindings");
    browser.click(By.id("new-resource"));
    browser.type("#resource-form", "Name", "sensors-publish");
    browser.type("#resource-form", "Client group", "$all");
    browser.type("#resource-form", "Topic space", "sensors");
    new Select(browser.field("#resource-form", "Permission")).selectByVisibleText("Publisher");
    save("sensors-publish");

    Mqtt5BlockingClient sensor =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("sensor1")
            .serverHost("127.0.0.1")
            .serverPort(broker.mqttPort())
            .simpleAuth()
            .username("sensor1")
            .password("sensor-secret".getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .buildBlocking();
    sensor.connect();
    try {
      sensor.publishWith().topic("sensors/sensor1/temp").qos(MqttQos.AT_LEAST_ONCE).send();
      assertThatThrownBy(
              () ->
                  sensor
                      .publishWith()
                      .topic("sensors/sensor2/temp")
                      .qos(MqttQos.AT_LEAST_ONCE)
                      .send())
          .isInstanceOfSatisfying(
              Mqtt5PubAckException.class,
              e ->
                  assertThat(e.getMqttMessage().getReasonCode())
                      .isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED));
      // a Publisher binding only: no subscription
      assertThatThrownBy(() -> sensor.subscribeWith().topicFilter("sensors/sensor1/#").send())
          .isInstanceOfSatisfying(
              Mqtt5SubAckException.class,
              e ->
                  assertThat(e.getMqttMessage().getReasonCodes())
                      .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
    } finally {
      sensor.disconnect();
    }

    browser.go("explain");
    browser.type("#explain-form", "Registered client (name)", "sensor1");
    browser.type("#explain-form", "Topic (publish) or filter (subscribe)", "sensors/sensor1/temp");
    browser.click(By.cssSelector("#explain-form button[type=submit]"));
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(By.id("verdict"), "ALLOWED"));
    assertThat(browser.text(By.id("matched")))
        .isEqualTo(
            "Granted by topic space sensors: template sensors/${client.authenticationName}/#"
                + " became sensors/sensor1/#.");
    assertThat(browser.text(By.id("bindings")))
        .contains("sensors-publish: group $all → topic space sensors");
    browser.screenshot("console-explainer");

    browser.type("#explain-form", "Topic (publish) or filter (subscribe)", "sensors/sensor2/temp");
    browser.click(By.cssSelector("#explain-form button[type=submit]"));
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(By.id("verdict"), "DENIED"));
    assertThat(browser.text(By.cssSelector("#templates tbody"))).contains("sensors/sensor1/#");

    new Select(browser.field("#explain-form", "Action")).selectByVisibleText("Subscribe");
    browser.type("#explain-form", "Topic (publish) or filter (subscribe)", "sensors/sensor1/#");
    browser.click(By.cssSelector("#explain-form button[type=submit]"));
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(By.id("verdict"), "subscribe"));
    assertThat(browser.text(By.id("verdict"))).endsWith("DENIED");
    assertThat(browser.text(By.id("bindings")))
        .isEqualTo("None of its groups is bound for this action.");
  }

  @Test
  @Order(4)
  void theRateChartMovesWhileATestPublishes() throws Exception {
    browser.go("overview");
    Mqtt5BlockingClient publisher =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("sensor1")
            .serverHost("127.0.0.1")
            .serverPort(broker.mqttPort())
            .simpleAuth()
            .username("sensor1")
            .password("sensor-secret".getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .buildBlocking();
    publisher.connect();
    try {
      // messages published before the page opens: its chart shows them at once, from the node's
      // history (a bucket is sent once every member sampled it: the page is opened again until so)
      for (int i = 0; i < 10; i++) {
        publisher.publishWith().topic("sensors/sensor1/load").qos(MqttQos.AT_LEAST_ONCE).send();
      }
      Thread.sleep(2500);
      new WebDriverWait(browser.driver, Duration.ofSeconds(30))
          .until(
              d -> {
                browser.go("clients");
                double opened = System.currentTimeMillis() / 1000.0;
                browser.go("overview");
                browser.wait.until(
                    x ->
                        x.findElement(By.id("rate-chart")).getAttribute("data-history-points")
                            != null);
                WebElement chart = d.findElement(By.id("rate-chart"));
                return Integer.parseInt(chart.getAttribute("data-history-points")) > 0
                    && Double.parseDouble(chart.getAttribute("data-history-first")) < opened
                    && Double.parseDouble(chart.getAttribute("data-history-peak-in")) > 0;
              });
      // then points pushed by the node while the page is open
      new WebDriverWait(browser.driver, Duration.ofSeconds(30))
          .until(
              d -> {
                publisher
                    .publishWith()
                    .topic("sensors/sensor1/load")
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .send();
                // several points, the last above zero: the chart drew what the test published
                String points = d.findElement(By.id("rate-chart")).getAttribute("data-points");
                String last = d.findElement(By.id("rate-chart")).getAttribute("data-last-in");
                String pushed = d.findElement(By.id("rate-chart")).getAttribute("data-pushed");
                return points != null
                    && Integer.parseInt(points) >= 4
                    && last != null
                    && Double.parseDouble(last) > 0
                    && pushed != null
                    && Integer.parseInt(pushed) >= 2;
              });
      browser.screenshot("console-overview");
    } finally {
      publisher.disconnect();
    }
  }

  private static void save(String name) {
    browser.click(By.cssSelector("#resource-form button[type=submit]"));
    browser.visible(By.cssSelector("#resources tr[data-name='" + name + "']"));
  }

  @Test
  @Order(5)
  void theGroupQueryEditorValidatesAsYouTypeAndPreviewsTheClientsItSelects() {
    browser.go("clientGroups");
    browser.click(By.id("new-resource"));
    browser.type("#resource-form", "Query", "attributes.kind = ");
    browser.wait.until(d -> !browser.errorAt("#resource-form", "Query").isEmpty());
    assertThat(browser.field("#resource-form", "Query").getAttribute("aria-invalid"))
        .isEqualTo("true");
    browser.field("#resource-form", "Query").sendKeys("'probe'");
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("group-preview"), "Selects 1 registered client(s): sensor1"));
    assertThat(browser.errorAt("#resource-form", "Query")).isEmpty();
  }

  @Test
  @Order(6)
  void anUploadedCaCertificateIsListedWithSubjectExpiryAndThumbprint(@TempDir Path certs)
      throws Exception {
    io.mqttgrid.testing.TestCertificates ca =
        io.mqttgrid.testing.TestCertificates.selfSignedServer(certs);
    String thumbprint =
        java.util.HexFormat.of()
            .withUpperCase()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(ca.certificate.getEncoded()));
    browser.go("caCertificates");
    browser.click(By.id("new-resource"));
    browser.type("#resource-form", "Name", "test-root");
    browser.driver.findElement(By.id("ca-upload")).sendKeys(ca.certFile.toString());
    browser.wait.until(
        d ->
            browser
                .field("#resource-form", "Certificate (PEM)")
                .getAttribute("value")
                .startsWith("-----BEGIN CERTIFICATE-----"));
    save("test-root");
    String row = browser.text(By.cssSelector("#resources tr[data-name='test-root']"));
    assertThat(row)
        .contains("CN=localhost")
        .contains(thumbprint)
        .contains(ca.certificate.getNotAfter().toInstant().toString().substring(0, 10));
    browser.screenshot("console-ca-certificates");
  }

  @Test
  @Order(7)
  void aSettingTheApiRefusesIsShownAtItsFieldAndAValidOneIsSaved() throws Exception {
    browser.go("settings");
    browser.visible(By.id("settings-form"));
    browser.type("#settings-form", "Maximum session expiry (hours, 1-8)", "9");
    browser.click(By.cssSelector("#settings-form button[type=submit]"));
    browser.wait.until(
        d -> !browser.errorAt("#settings-form", "Maximum session expiry (hours, 1-8)").isEmpty());
    assertThat(
            browser
                .field("#settings-form", "Maximum session expiry (hours, 1-8)")
                .getAttribute("aria-invalid"))
        .isEqualTo("true");
    browser.type("#settings-form", "Maximum session expiry (hours, 1-8)", "2");
    browser.click(By.cssSelector("#settings-form button[type=submit]"));
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("settings-status"), "Settings saved."));
    browser.screenshot("console-settings");
    browser.go("overview");
    browser.go("settings");
    browser.visible(By.id("settings-form"));
    browser.wait.until(
        d ->
            "2"
                .equals(
                    browser
                        .field("#settings-form", "Maximum session expiry (hours, 1-8)")
                        .getAttribute("value")));
    // the fields left alone kept their values
    assertThat(
            new Select(browser.field("#settings-form", "Password authentication"))
                .getFirstSelectedOption()
                .getText())
        .isEqualTo("On");
  }
}
