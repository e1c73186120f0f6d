package io.mqttgrid.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttgrid.testing.TestBroker;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The namespace settings through the management API, where a round trip could lose what the API
 * never shows: the webhook authentication's bearer token.
 */
class NamespaceSettingsApiIT {

  private static final String TOKEN = "test-admin-token-settings-0123456789";
  private static final String PATH = "/namespaces/mqttgrid";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static Vertx vertx;
  static HttpServer webhook;
  static int webhookPort;

  /** The Authorization header of every request the webhook received, "" when there was none. */
  static final List<String> authorizations = new CopyOnWriteArrayList<>();

  static TestBroker broker;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    webhook =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  String auth = req.getHeader("Authorization");
                  authorizations.add(auth == null ? "" : auth);
                  req.body()
                      .onSuccess(
                          body ->
                              req.response()
                                  .end(
                                      new JsonObject()
                                          .put("decision", "allow")
                                          .put(
                                              "clientAuthenticationName",
                                              body.toJsonObject().getString("userName"))
                                          .encode()));
                });
    webhookPort =
        webhook
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)
            .actualPort();
    broker = TestBroker.start(Map.of("management.token", TOKEN));
  }

  @AfterAll
  static void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aGetThenPutOfTheSettingsKeepsTheWebhookTokenItNeverShowed() throws Exception {
    String endpoint = "http://127.0.0.1:" + webhookPort + "/api/mqtt-auth";
    JsonObject settings =
        new JsonObject()
            .put(
                "clientAuthentication",
                new JsonObject()
                    .put(
                        "webhookAuthentication",
                        new JsonObject()
                            .put("endpointUrl", endpoint)
                            .put("bearerToken", "hook-secret-1")
                            .put("cacheTtlInSeconds", 0)));
    assertThat(put(settings).statusCode()).isEqualTo(200);
    connectThroughTheWebhook("first");
    assertThat(authorizations).last().isEqualTo("Bearer hook-secret-1");

    // what a script does to change one setting: read, edit, write back
    JsonObject shown = get();
    assertThat(shown.encode()).doesNotContain("hook-secret-1");
    shown.put("maximumSessionExpiryInHours", 2);
    HttpResponse<String> changed = put(shown);
    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
    assertThat(get().getInteger("maximumSessionExpiryInHours")).isEqualTo(2);
    connectThroughTheWebhook("second");
    assertThat(authorizations).last().isEqualTo("Bearer hook-secret-1");

    // an explicit null removes it
    JsonObject removing = get();
    removing
        .getJsonObject("clientAuthentication")
        .getJsonObject("webhookAuthentication")
        .putNull("bearerToken");
    assertThat(put(removing).statusCode()).isEqualTo(200);
    connectThroughTheWebhook("third");
    assertThat(authorizations).last().isEqualTo("");
  }

  @Test
  void aNewWebhookEndpointDoesNotInheritTheToken() throws Exception {
    String endpoint = "http://127.0.0.1:" + webhookPort + "/api/mqtt-auth";
    JsonObject settings =
        new JsonObject()
            .put(
                "clientAuthentication",
                new JsonObject()
                    .put(
                        "webhookAuthentication",
                        new JsonObject()
                            .put("endpointUrl", endpoint)
                            .put("bearerToken", "hook-secret-2")
                            .put("cacheTtlInSeconds", 0)));
    assertThat(put(settings).statusCode()).isEqualTo(200);
    JsonObject moved = get();
    moved
        .getJsonObject("clientAuthentication")
        .getJsonObject("webhookAuthentication")
        .put("endpointUrl", "http://localhost:" + webhookPort + "/api/other");
    assertThat(put(moved).statusCode()).isEqualTo(200);
    connectThroughTheWebhook("moved");
    assertThat(authorizations).last().isEqualTo("");
  }

  private static void connectThroughTheWebhook(String user) {
    int before = authorizations.size();
    Mqtt5BlockingClient c = broker.v5("settings-" + user);
    c.connectWith()
        .simpleAuth()
        .username(user)
        .password("pw".getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth()
        .send();
    c.disconnect();
    assertThat(authorizations).hasSizeGreaterThan(before);
  }

  private static JsonObject get() throws Exception {
    HttpResponse<String> r = call("GET", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body())
        .getJsonObject("properties")
        .getJsonObject("topicSpacesConfiguration");
  }

  private static HttpResponse<String> put(JsonObject settings) throws Exception {
    return call(
        "PUT",
        new JsonObject()
            .put("properties", new JsonObject().put("topicSpacesConfiguration", settings))
            .encode());
  }

  private static HttpResponse<String> call(String method, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.managementPort() + PATH))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
