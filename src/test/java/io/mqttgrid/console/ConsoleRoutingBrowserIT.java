package io.mqttgrid.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.HttpReceivers;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.http.HttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The console's routing page in a real browser: event subscriptions made in the page get the events
 * their filters pass, delivered or refused by a real webhook, and the page shows their meters and
 * the dead-lettered events; refused settings at their field.
 */
@WithBroker(configMethod = "config")
class ConsoleRoutingBrowserIT {

  static final String TOKEN = "console-routing-admin-token-0123456789";

  @TempDir static Path dir;
  static TestBroker broker;
  static ConsoleBrowser browser;
  static HttpReceivers receivers;
  static HttpServer receiver;

  /** The paths the receiver was sent events to. */
  static final ConcurrentLinkedQueue<String> paths = new ConcurrentLinkedQueue<>();

  /** A webhook that takes events at /ok and refuses them (400, not retried) at /refuse. */
  static Map<String, String> config() throws Exception {
    receivers = new HttpReceivers();
    receiver =
        receivers.listen(
            req ->
                req.body()
                    .onSuccess(
                        body -> {
                          paths.add(req.path());
                          req.response().setStatusCode(req.path().equals("/ok") ? 200 : 400).end();
                        }));
    return Map.of(
        "management.token",
        TOKEN,
        "routing.validate-webhooks",
        "false",
        "routing.dead-letter-file",
        dir.resolve("dead-letters.jsonl").toString());
  }

  @BeforeAll
  static void openBrowser() {
    browser = ConsoleBrowser.openSignedIn(broker.managementPort(), TOKEN);
  }

  @BeforeEach
  void needsBrowser() {
    ConsoleBrowser.assumeAvailable(browser);
  }

  @AfterAll
  static void close() throws Exception {
    Closeables.closeAll(browser, receivers);
  }

  private static String webhook(String path) {
    return HttpReceivers.url(receiver) + path;
  }

  private static void save(String name, String begins, String advanced, String url) {
    browser.type("#subscription-form", "Name", name);
    browser.type("#subscription-form", "Subject begins with", begins);
    browser.type("#subscription-form", "Advanced filters (JSON array)", advanced);
    browser.type("#subscription-form", "Webhook URL", url);
    browser.click(By.cssSelector("#subscription-form button[type=submit]"));
  }

  private static String cell(String subscription, String cls) {
    try {
      return browser.text(
          By.cssSelector(
              "#event-subscriptions tr[data-subscription='" + subscription + "'] ." + cls));
    } catch (org.openqa.selenium.NoSuchElementException e) {
      return "";
    }
  }

  @Test
  void subscriptionsMadeInThePageGetTheirEventsAndShowTheirMeters() throws Exception {
    browser.go("routing");
    save("ui-good", "ui-routing/", "", webhook("/ok"));
    browser.visible(By.cssSelector("#event-subscriptions tr[data-subscription='ui-good']"));
    save("ui-refused", "ui-routing/", "", webhook("/refuse"));
    browser.visible(By.cssSelector("#event-subscriptions tr[data-subscription='ui-refused']"));
    save("ui-elsewhere", "other/", "", webhook("/ok"));
    browser.visible(By.cssSelector("#event-subscriptions tr[data-subscription='ui-elsewhere']"));

    Mqtt5BlockingClient publisher = broker.v5("ui-routing-publisher");
    publisher.connect();
    try {
      publisher
          .publishWith()
          .topic("ui-routing/reading")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("{\"t\":1}".getBytes(StandardCharsets.UTF_8))
          .send();
    } finally {
      publisher.disconnect();
    }
    browser.wait.until(d -> cell("ui-good", "delivered").equals("1"));
    browser.wait.until(d -> cell("ui-refused", "failed").equals("1 ClientError"));
    // the dead letter shows on its subscription's row, by reason
    browser.wait.until(d -> cell("ui-refused", "dead-lettered").equals("1 DeliveryRefused"));
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.cssSelector("#routing-dead-letters tr[data-outcome='dead-lettered'] .counts"),
            "DeliveryRefused: 1"));
    assertThat(cell("ui-elsewhere", "delivered")).isEqualTo("0");
    assertThat(cell("ui-good", "failed")).isEqualTo("0");
    assertThat(cell("ui-good", "dead-lettered")).isEqualTo("0");
    assertThat(paths).containsExactlyInAnyOrder("/ok", "/refuse");
    assertThat(Files.readString(dir.resolve("dead-letters.jsonl"))).contains("ui-refused");
    browser.screenshot("console-routing");

    browser.click(By.cssSelector("button[aria-label='Delete ui-elsewhere']"));
    browser.wait.until(ExpectedConditions.alertIsPresent()).accept();
    browser.wait.until(
        ExpectedConditions.invisibilityOfElementLocated(
            By.cssSelector("#event-subscriptions tr[data-subscription='ui-elsewhere']")));
  }

  @Test
  void refusedSubscriptionsShowTheirErrorsAtTheirFields() {
    browser.go("routing");
    save(
        "ui-bad-filter",
        "",
        "[{\"operatorType\": \"NumberGreaterThan\", \"key\": \"data.t\", \"value\": \"x\"}]",
        webhook("/ok"));
    browser.wait.until(
        d -> !browser.errorAt("#subscription-form", "Advanced filters (JSON array)").isEmpty());
    assertThat(browser.errorAt("#subscription-form", "Advanced filters (JSON array)"))
        .contains("advancedFilters[0].value")
        .contains("must be a number");
    assertThat(
            browser
                .field("#subscription-form", "Advanced filters (JSON array)")
                .getAttribute("aria-invalid"))
        .isEqualTo("true");

    save("x", "", "", webhook("/ok"));
    browser.wait.until(d -> !browser.errorAt("#subscription-form", "Name").isEmpty());
    assertThat(browser.errorAt("#subscription-form", "Name"))
        .contains("3 to 50 letters, digits and hyphens");

    save("ui-bad-url", "", "", "ftp://example.com/x");
    browser.wait.until(d -> !browser.errorAt("#subscription-form", "Webhook URL").isEmpty());
    assertThat(browser.errorAt("#subscription-form", "Webhook URL")).contains("endpointUrl");
    assertThat(
            browser.driver.findElements(
                By.cssSelector("#event-subscriptions tr[data-subscription^='ui-bad']")))
        .isEmpty();
  }
}
