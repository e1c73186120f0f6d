package io.mqttgrid.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient.Mqtt5Publishes;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Closeables;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The console's bridges page in a real browser: a dataflow endpoint and a dataflow made in the page
 * carry a message to a real remote broker, their state and counters shown; refusals at their field;
 * an unreachable remote shown backing off with the reason; deletion from the page.
 */
@WithBroker({"management.token=" + ConsoleBridgesBrowserIT.TOKEN})
class ConsoleBridgesBrowserIT {

  static final String TOKEN = "console-bridges-admin-token-0123456789";

  static TestBroker broker;
  static TestBroker remote;
  static ConsoleBrowser browser;

  @BeforeAll
  static void openBrowser() {
    remote = TestBroker.start();
    browser = ConsoleBrowser.openSignedIn(broker.managementPort(), TOKEN);
  }

  @BeforeEach
  void needsBrowser() {
    ConsoleBrowser.assumeAvailable(browser);
  }

  @AfterAll
  static void close() throws Exception {
    Closeables.closeAll(browser, remote);
  }

  private static void createEndpoint(String name, String host) {
    browser.type("#endpoint-form", "Name", name);
    browser.type("#endpoint-form", "Host (host:port)", host);
    browser.click(By.cssSelector("#endpoint-form button[type=submit]"));
  }

  private static void createDataflow(String name, String sources, String to, String target) {
    browser.type("#dataflow-form", "Name", name);
    browser.type("#dataflow-form", "Source topic filters (one a line)", sources);
    browser.type("#dataflow-form", "Destination endpoint", to);
    browser.type("#dataflow-form", "Destination topic", target);
    browser.click(By.cssSelector("#dataflow-form button[type=submit]"));
  }

  private static String cell(String dataflow, String cls) {
    return browser.text(By.cssSelector("#dataflows tr[data-dataflow='" + dataflow + "'] ." + cls));
  }

  /** The node's id, as the console's overview reports it. */
  private static String nodeId() throws Exception {
    java.net.http.HttpResponse<String> r =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(
                            "http://127.0.0.1:"
                                + broker.managementPort()
                                + "/namespaces/mqttgrid/overview"))
                    .header("Authorization", "Bearer " + TOKEN)
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    return new io.vertx.core.json.JsonObject(r.body()).getString("node");
  }

  @Test
  void aDataflowMadeInThePageCarriesAMessageToTheRemoteAndShowsItsStateAndCounters()
      throws Exception {
    browser.go("bridges");
    createEndpoint("ui-remote", "127.0.0.1:" + remote.mqttPort());
    browser.visible(By.cssSelector("#endpoints tr[data-endpoint='ui-remote']"));
    createDataflow("ui-up", "ui-edge/#", "ui-remote", "ui-cloud/${inputTopic}");
    browser.wait.until(
        d -> {
          try {
            return cell("ui-up", "state").startsWith("connected");
          } catch (org.openqa.selenium.NoSuchElementException
              | org.openqa.selenium.StaleElementReferenceException e) {
            return false;
          }
        });
    // a single node runs every instance
    assertThat(cell("ui-up", "node")).isEqualTo(nodeId());

    Mqtt5BlockingClient cloud = remote.v5("ui-cloud-reader");
    cloud.connect();
    Mqtt5BlockingClient edge = broker.v5("ui-edge-writer");
    edge.connect();
    try (Mqtt5Publishes inbox = cloud.publishes(MqttGlobalPublishFilter.ALL)) {
      cloud.subscribeWith().topicFilter("ui-cloud/#").qos(MqttQos.AT_LEAST_ONCE).send();
      edge.publishWith()
          .topic("ui-edge/t1")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("across".getBytes(StandardCharsets.UTF_8))
          .send();
      Optional<Mqtt5Publish> received = inbox.receive(10, TimeUnit.SECONDS);
      assertThat(received).isPresent();
      assertThat(received.get().getTopic().toString()).isEqualTo("ui-cloud/ui-edge/t1");
      assertThat(new String(received.get().getPayloadAsBytes(), StandardCharsets.UTF_8))
          .isEqualTo("across");
    } finally {
      edge.disconnect();
      cloud.disconnect();
    }
    browser.wait.until(
        d -> {
          try {
            return cell("ui-up", "forwarded").equals("1");
          } catch (org.openqa.selenium.NoSuchElementException
              | org.openqa.selenium.StaleElementReferenceException e) {
            return false;
          }
        });
    browser.screenshot("console-bridges");

    // an endpoint in use cannot go; the dataflow can, then the endpoint
    browser.click(By.cssSelector("button[aria-label='Delete dataflow endpoint ui-remote']"));
    browser.wait.until(ExpectedConditions.alertIsPresent()).accept();
    browser.wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("bridges-status"), "Could not delete the dataflow endpoint ui-remote"));
    browser.click(By.cssSelector("button[aria-label='Delete dataflow ui-up']"));
    browser.wait.until(ExpectedConditions.alertIsPresent()).accept();
    browser.wait.until(
        ExpectedConditions.invisibilityOfElementLocated(
            By.cssSelector("#dataflows tr[data-dataflow='ui-up']")));
    browser.click(By.cssSelector("button[aria-label='Delete dataflow endpoint ui-remote']"));
    browser.wait.until(ExpectedConditions.alertIsPresent()).accept();
    browser.wait.until(
        ExpectedConditions.invisibilityOfElementLocated(
            By.cssSelector("#endpoints tr[data-endpoint='ui-remote']")));
  }

  @Test
  void refusedResourcesShowTheirErrorsAtTheirFields() {
    browser.go("bridges");
    createEndpoint("ui-bad-endpoint", "");
    browser.wait.until(d -> !browser.errorAt("#endpoint-form", "Host (host:port)").isEmpty());
    assertThat(browser.errorAt("#endpoint-form", "Host (host:port)"))
        .startsWith("properties.mqttSettings.host");
    assertThat(browser.field("#endpoint-form", "Host (host:port)").getAttribute("aria-invalid"))
        .isEqualTo("true");

    createDataflow("ui-bad-flow", "a/#", "nowhere-endpoint", "b/c");
    browser.wait.until(d -> !browser.errorAt("#dataflow-form", "Destination endpoint").isEmpty());
    assertThat(browser.errorAt("#dataflow-form", "Destination endpoint"))
        .contains("no dataflow endpoint named 'nowhere-endpoint'");

    createEndpoint("ui-away", "127.0.0.1:" + TestBroker.freePort());
    browser.visible(By.cssSelector("#endpoints tr[data-endpoint='ui-away']"));
    createDataflow("ui-bad-flow", "a/#", "ui-away", "b/#");
    browser.wait.until(d -> !browser.errorAt("#dataflow-form", "Destination topic").isEmpty());
    assertThat(browser.errorAt("#dataflow-form", "Destination topic")).contains("holds a wildcard");

    // a remote that is not there: backing off, with the reason
    createDataflow("ui-lost", "lost/#", "ui-away", "${inputTopic}");
    browser.wait.until(
        d -> {
          try {
            return cell("ui-lost", "state").startsWith("backing off");
          } catch (org.openqa.selenium.NoSuchElementException
              | org.openqa.selenium.StaleElementReferenceException e) {
            return false;
          }
        });
    assertThat(cell("ui-lost", "reason")).containsIgnoringCase("refused");
  }
}
