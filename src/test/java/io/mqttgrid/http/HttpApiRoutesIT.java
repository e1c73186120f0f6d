package io.mqttgrid.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mqttgrid.access.Permissions;
import io.mqttgrid.auth.AuthResult;
import io.mqttgrid.mqtt.MqttMetrics;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishService;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The OpenAPI document in the repository is what the broker serves, and it describes every route of
 * the port.
 */
@WithBroker
class HttpApiRoutesIT {

  private static final Path DOCUMENT =
      Path.of(System.getProperty("basedir", ""))
          .resolve("src/main/resources/openapi/mqttgrid-http.yaml")
          .toAbsolutePath();

  static TestBroker broker;
  static WebClient client;

  @BeforeAll
  static void start() {
    client = WebClient.create(broker.broker().vertx());
  }

  @AfterAll
  static void stop() {
    client.close();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  @Test
  void theBrokerServesTheOpenApiDocumentOfTheRepository() throws Exception {
    HttpResponse<Buffer> r =
        await(client.get(broker.httpPort(), "127.0.0.1", "/openapi.yaml").send());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("application/yaml");
    assertThat(r.body().getBytes()).isEqualTo(Files.readAllBytes(DOCUMENT));
  }

  @Test
  void everyRouteOfTheHttpPortIsInTheOpenApiDocumentAndNothingElse() throws Exception {
    Vertx vertx = broker.broker().vertx();
    HttpServices services =
        new HttpServices(
            new PublishPipeline(
                new PublishService(
                    "routes-test", new MessageRouter(), m -> Future.succeededFuture()),
                broker.broker().config().limits),
            null,
            token ->
                Future.succeededFuture(
                    AuthResult.refused(AuthResult.Outcome.BAD_CREDENTIALS, "none")),
            identity -> Permissions.NONE,
            0,
            30_000);
    HttpApiVerticle verticle =
        new HttpApiVerticle(
            new HttpApiVerticle.Options(
                "127.0.0.1",
                0,
                -1,
                "",
                "",
                new HttpConnectionGuard(
                    "HTTP port",
                    "http.max-connections",
                    broker.broker().config().httpConnectionLimits),
                null),
            () -> null,
            new MqttMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)),
            services);
    verticle.init(vertx, vertx.getOrCreateContext());
    TreeSet<String> routes = new TreeSet<>();
    for (Route route : verticle.router().getRoutes()) {
      assertThat(route.getPath()).as("a route without a path").isNotNull();
      assertThat(route.methods()).as("route %s has no method", route.getPath()).isNotEmpty();
      for (HttpMethod m : route.methods()) {
        routes.add(m.name().toLowerCase(Locale.ROOT) + " " + route.getPath());
      }
    }
    Map<String, Object> doc = new Yaml().load(Files.readString(DOCUMENT));
    assertThat(doc.get("openapi").toString()).startsWith("3.");
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) doc.get("paths");
    TreeSet<String> documented = new TreeSet<>();
    paths.forEach(
        (path, operations) ->
            operations.keySet().forEach(method -> documented.add(method + " " + path)));
    assertThat(documented).containsExactlyElementsOf(routes);
  }
}
