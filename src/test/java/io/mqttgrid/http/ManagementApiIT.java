package io.mqttgrid.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.mqttgrid.access.NamespaceFile;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The namespace model's management REST API and the declarative namespace file, on one node. */
@WithBroker(configMethod = "brokerConfig")
class ManagementApiIT {

  private static final String TOKEN = "test-admin-token-1234567890";
  private static final String ARM =
      "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.EventGrid"
          + "/namespaces/mqttgrid";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  static Path file;
  static TestBroker broker;

  /** The broker's overrides (see @WithBroker): written here, before the broker starts. */
  static Map<String, String> brokerConfig() throws Exception {
    file = dir.resolve("namespace.yaml");
    Files.writeString(
        file,
        """
        settings:
          maximumClientSessionsPerAuthenticationName: 2
        clients:
          from-file:
            attributes: { floor: 3, types: [a, b] }
        topicSpaces:
          telemetry: { topicTemplates: ["telemetry/#"] }
        permissionBindings:
          all-pub: { clientGroupName: $all, topicSpaceName: telemetry, permission: Publisher }
        """);
    return Map.of(
        "namespace.file",
        file.toString(),
        "namespace.watch-interval",
        "1",
        "management.token",
        TOKEN);
  }

  private static HttpResponse<String> call(String method, String path, String body, String token)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.managementPort() + path))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> call(String method, String path, String body)
      throws Exception {
    return call(method, path, body, TOKEN);
  }

  private static void eventually(BooleanSupplier condition) {
    Await.until("condition met", Duration.ofSeconds(10), condition::getAsBoolean);
  }

  @Test
  void theFileIsLoadedAtStartAndShownWithArmShapes() throws Exception {
    HttpResponse<String> r = call("GET", ARM + "/clients/from-file", null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject c = new JsonObject(r.body());
    assertThat(c.getString("id")).isEqualTo(ARM + "/clients/from-file");
    assertThat(c.getString("type")).isEqualTo("Microsoft.EventGrid/namespaces/clients");
    assertThat(c.getJsonObject("properties").getString("authenticationName"))
        .isEqualTo("from-file");
    assertThat(c.getJsonObject("properties").getString("state")).isEqualTo("Enabled");
    assertThat(c.getJsonObject("properties").getJsonObject("attributes").getMap())
        .containsEntry("floor", 3)
        .containsKey("types");
    assertThat(c.getJsonObject("systemData").getString("createdByType")).isEqualTo("NamespaceFile");
    JsonObject ns = new JsonObject(call("GET", "/namespaces/mqttgrid", null).body());
    assertThat(
            ns.getJsonObject("properties")
                .getJsonObject("topicSpacesConfiguration")
                .getInteger("maximumClientSessionsPerAuthenticationName"))
        .isEqualTo(2);
    assertThat(broker.broker().namespace().current().clients()).containsKey("from-file");
  }

  @Test
  void aClientIsCreatedReadUpdatedListedAndDeleted() throws Exception {
    String body =
        """
        {"properties": {"authenticationName": "Dev-One", "state": "Enabled",
          "clientCertificateAuthentication": {"validationScheme": "ThumbprintMatch",
            "allowedThumbprints": ["8e:79:68:b9:c4:34:ea:a8:13:9b:e5:8a:21:f2:e7:fb:15:d9:4c:34:4b:3b:2e:d8:f8:bc:02:e4:c5:fe:b7:e7"]},
          "attributes": {"room": "345"}}}""";
    HttpResponse<String> created = call("PUT", ARM + "/clients/dev1", body);
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(
            new JsonObject(created.body())
                .getJsonObject("properties")
                .getJsonObject("clientCertificateAuthentication")
                .getJsonArray("allowedThumbprints")
                .getString(0))
        .isEqualTo("8E7968B9C434EAA8139BE58A21F2E7FB15D94C344B3B2ED8F8BC02E4C5FEB7E7");
    assertThat(call("PUT", ARM + "/clients/dev1", body).statusCode()).isEqualTo(200);
    eventually(
        () -> broker.broker().namespace().current().clientByAuthenticationName("dev-one") != null);

    // the authentication name is immutable, and unique case-insensitively
    HttpResponse<String> renamed =
        call("PUT", ARM + "/clients/dev1", "{\"properties\": {\"authenticationName\": \"other\"}}");
    assertThat(renamed.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(renamed.body()).getJsonObject("error").getString("target"))
        .isEqualTo("properties.authenticationName");
    HttpResponse<String> clash =
        call(
            "PUT",
            ARM + "/clients/dev2",
            "{\"properties\": {\"authenticationName\": \"DEV-ONE\"}}");
    assertThat(clash.statusCode()).isEqualTo(400);
    assertThat(clash.body()).contains("case-insensitively");

    HttpResponse<String> deleted = call("DELETE", ARM + "/clients/dev1", null);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(call("DELETE", ARM + "/clients/dev1", null).statusCode()).isEqualTo(204);
    assertThat(call("GET", ARM + "/clients/dev1", null).statusCode()).isEqualTo(404);
  }

  @Test
  void listsArePagedWithANextLink() throws Exception {
    for (String n : new String[] {"page-a", "page-b", "page-c"}) {
      assertThat(
              call(
                      "PUT",
                      ARM + "/clientGroups/" + n,
                      "{\"properties\": {\"query\": \"attributes.floor = 3\"}}")
                  .statusCode())
          .isEqualTo(201);
    }
    JsonObject first = new JsonObject(call("GET", ARM + "/clientGroups?$top=2", null).body());
    assertThat(first.getJsonArray("value")).hasSize(2);
    String next = first.getString("nextLink");
    assertThat(next).contains("$skipToken=");
    JsonObject second = new JsonObject(call("GET", next.substring(next.indexOf(ARM)), null).body());
    JsonArray rest = second.getJsonArray("value");
    assertThat(rest.getJsonObject(rest.size() - 1).getString("name")).isEqualTo("page-c");
    assertThat(second.containsKey("nextLink")).isFalse();
  }

  @Test
  void invalidInputIsRefusedNamingTheFieldAndTheRule() throws Exception {
    HttpResponse<String> thumbs =
        call(
            "PUT",
            ARM + "/clients/bad1",
            """
        {"properties": {"clientCertificateAuthentication": {"validationScheme": "ThumbprintMatch"}}}""");
    assertThat(thumbs.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(thumbs.body()).getJsonObject("error").getString("target"))
        .isEqualTo("properties.clientCertificateAuthentication.allowedThumbprints");
    HttpResponse<String> attr =
        call(
            "PUT",
            ARM + "/clients/bad2",
            "{\"properties\": {\"attributes\": {\"bad-key\": \"x\"}}}");
    assertThat(attr.statusCode()).isEqualTo(400);
    assertThat(attr.body()).contains("properties.attributes.bad-key");
    assertThat(call("PUT", ARM + "/clients/bad%20name", "{\"properties\": {}}").statusCode())
        .isEqualTo(400);
    assertThat(
            call("PUT", ARM + "/topicSpaces/ts", "{\"properties\": {\"topicTemplates\": [\"a\"]}}")
                .statusCode())
        .as("names are 3-50 characters")
        .isEqualTo(400);
    HttpResponse<String> binding =
        call(
            "PUT",
            ARM + "/permissionBindings/dangling",
            """
        {"properties": {"clientGroupName": "$all", "topicSpaceName": "missing", "permission": "Publisher"}}""");
    assertThat(binding.statusCode()).isEqualTo(400);
    assertThat(binding.body()).contains("no topic space 'missing'");
    assertThat(call("PUT", ARM + "/clients/bad3", "not json").statusCode()).isEqualTo(400);
    HttpResponse<String> query =
        call(
            "PUT",
            ARM + "/clientGroups/bad-query",
            "{\"properties\": {\"query\": \"attributes.floor <== 3\"}}");
    assertThat(query.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(query.body()).getJsonObject("error").getString("target"))
        .isEqualTo("properties.query");
    assertThat(query.body()).contains("position");
    HttpResponse<String> template =
        call(
            "PUT",
            ARM + "/topicSpaces/bad-template",
            "{\"properties\": {\"topicTemplates\": [\"a/${client.nothing}/b\"]}}");
    assertThat(template.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(template.body()).getJsonObject("error").getString("target"))
        .isEqualTo("properties.topicTemplates[0]");
    assertThat(call("GET", ARM + "/widgets/x", null).statusCode()).isEqualTo(404);
  }

  @Test
  void aScriptMayBindATopicSpaceRightAfterCreatingIt() throws Exception {
    // the quickstart's order of az commands, with no pause between them
    for (int i = 0; i < 5; i++) {
      assertThat(
              call(
                      "PUT",
                      ARM + "/topicSpaces/quick-" + i,
                      "{\"properties\": {\"topicTemplates\": [\"quick/" + i + "\"]}}")
                  .statusCode())
          .isEqualTo(201);
      HttpResponse<String> bound =
          call(
              "PUT",
              ARM + "/permissionBindings/quick-" + i,
              "{\"properties\": "
                  + "{\"clientGroupName\": \"$all\", \"permission\": \"Publisher\", \"topicSpaceName\": \"quick-"
                  + i
                  + "\"}}");
      assertThat(bound.statusCode()).as(bound.body()).isEqualTo(201);
      assertThat(call("DELETE", ARM + "/permissionBindings/quick-" + i, null).statusCode())
          .isEqualTo(200);
      assertThat(call("DELETE", ARM + "/topicSpaces/quick-" + i, null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aTopicSpaceStillBoundCannotBeDeleted() throws Exception {
    HttpResponse<String> r = call("DELETE", ARM + "/topicSpaces/telemetry", null);
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(new JsonObject(r.body()).getJsonObject("error").getString("code"))
        .isEqualTo("Conflict");
  }

  @Test
  void aRequestWithoutAValidTokenIsRefusedBeforeItsBodyIsRead() throws Exception {
    // headers announcing 1 MB and no body: the 401 can only come at once if the body is not waited
    // for
    for (String auth :
        new String[] {
          "", "Authorization: Bearer not-the-token\r\n", "Authorization: Bearer a.b.c\r\n"
        }) {
      try (java.net.Socket socket = RawHttp.connect(broker.managementPort())) {
        RawHttp.send(
            socket,
            "PUT "
                + ARM
                + "/clients/c1 HTTP/1.1\r\nHost: localhost\r\n"
                + auth
                + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n");
        RawHttp.Outcome outcome = RawHttp.awaitClose(socket);
        assertThat(outcome.received())
            .as(auth)
            .startsWith("HTTP/1.1 401")
            .contains("\"Unauthorized\"");
        assertThat(outcome.closed())
            .as("the connection is closed rather than the body read")
            .isTrue();
      }
    }
    // with the token, the body is read as before, on the same kind of raw connection
    try (java.net.Socket socket = RawHttp.connect(broker.managementPort())) {
      String body = "{\"properties\":{\"authenticationName\":\"raw-c1\"}}";
      RawHttp.send(
          socket,
          "PUT "
              + ARM
              + "/clients/raw-c1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
              + TOKEN
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length()
              + "\r\n\r\n"
              + body);
      assertThat(RawHttp.readResponse(socket.getInputStream())).startsWith("HTTP/1.1 20");
    }
    assertThat(call("DELETE", ARM + "/clients/raw-c1", null).statusCode()).isIn(200, 204);
  }

  @Test
  void theApiNeedsTheAdminCredentialAndTheRightNamespace() throws Exception {
    assertThat(call("GET", ARM + "/clients", null, null).statusCode()).isEqualTo(401);
    HttpResponse<String> wrong = call("GET", ARM + "/clients", null, "not-the-token");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(call("GET", "/namespaces/other/clients", null).statusCode()).isEqualTo(404);
    // health and metrics are for the orchestrator on the same internal port, without the admin
    // token
    assertThat(call("GET", "/health/ready", null, null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/metrics", null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void aChangedFileIsAppliedAgainAndWhatItNoLongerListsIsRemoved() throws Exception {
    assertThat(call("PUT", ARM + "/clients/api-made", "{\"properties\": {}}").statusCode())
        .isEqualTo(201);
    String before = Files.readString(file);
    try {
      Files.writeString(file, before.replace("from-file:", "renamed-in-file:"));
      eventually(
          () -> broker.broker().namespace().current().clients().containsKey("renamed-in-file"));
      assertThat(broker.broker().namespace().current().clients())
          .doesNotContainKey("from-file")
          .containsKey("api-made");
      // a broken file changes nothing, once the watcher has read and refused it
      AtomicBoolean refused = new AtomicBoolean();
      AppenderBase<ILoggingEvent> refusals =
          new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
              if (e.getFormattedMessage().contains("changed but was not applied")) {
                refused.set(true);
              }
            }
          };
      refusals.start();
      Logger watcherLog = (Logger) LoggerFactory.getLogger(NamespaceFile.class);
      watcherLog.addAppender(refusals);
      try {
        Files.writeString(file, before + "\nclientGroups:\n  group-one: { query: 42 }\n");
        Await.until("the broken file refused", Duration.ofSeconds(10), refused::get);
      } finally {
        watcherLog.detachAppender(refusals);
      }
      assertThat(broker.broker().namespace().current().clients()).containsKey("renamed-in-file");
      assertThat(broker.broker().namespace().current().clientGroups())
          .doesNotContainKey("group-one");
    } finally {
      Files.writeString(file, before);
      eventually(() -> broker.broker().namespace().current().clients().containsKey("from-file"));
    }
  }
}
