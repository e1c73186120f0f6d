package io.mqttgrid.http;

import io.mqttgrid.events.ValidationCallbacks;
import io.mqttgrid.mqtt.MqttMetrics;
import io.mqttgrid.publish.PublishRules;
import io.mqttgrid.wire.TlsVersions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The node's public HTTP port (and HTTPS port when a certificate is configured): HTTP publish and
 * the retained-message API (both as Event Grid defines them), the OpenAPI document describing them
 * ({@value #OPENAPI_PATH}), health for load balancers and orchestrators, and the routing's webhook
 * validation callback. Deployed once per HTTP event loop (Vert.x spreads the connections over the
 * instances); a request, HTTP publish included, is served and routed on the event loop of its
 * connection.
 */
public final class HttpApiVerticle extends VerticleBase {

  public static final String OPENAPI_PATH = "/openapi.yaml";
  static final String OPENAPI_RESOURCE = "/openapi/mqttgrid-http.yaml";

  /**
   * Headers carry up to 32 KB of user properties (Event Grid's documented limits), base64 of them
   * 43 KB.
   */
  static final int MAX_HEADER_SIZE = 64 * 1024;

  /** A topic of 256 bytes percent-encoded, or a continuation token holding a filter and a topic. */
  static final int MAX_INITIAL_LINE_LENGTH = 16 * 1024;

  private static final long RATE_EVICTION_MS = 60_000;

  private final Options options;
  private final Supplier<HealthRoutes.Readiness> ready;
  private final MqttMetrics metrics;
  private final HttpServices services;
  private HttpServer server;
  private HttpServer tlsServer;

  /**
   * Where to listen: {@code port} for HTTP, {@code tlsPort} for HTTPS (when {@code certFile} and
   * {@code keyFile} are set; -1 turns it off), each with its guard (timeouts and connection cap),
   * shared by every instance.
   */
  public record Options(
      String host,
      int port,
      int tlsPort,
      String certFile,
      String keyFile,
      HttpConnectionGuard guard,
      HttpConnectionGuard tlsGuard) {
    boolean tls() {
      return tlsPort >= 0
          && certFile != null
          && !certFile.isBlank()
          && keyFile != null
          && !keyFile.isBlank();
    }
  }

  public HttpApiVerticle(
      Options options,
      Supplier<HealthRoutes.Readiness> ready,
      MqttMetrics metrics,
      HttpServices services) {
    this.options = options;
    this.ready = ready;
    this.metrics = metrics;
    this.services = services;
  }

  @Override
  public Future<?> start() {
    Router router = router();
    List<Future<?>> started = new ArrayList<>();
    server =
        options
            .guard()
            .install(vertx.createHttpServer(serverOptions(options.guard(), false)), router);
    started.add(
        named(
            server.listen(options.port(), options.host()), "HTTP", options.host(), options.port()));
    if (options.tls()) {
      tlsServer =
          options
              .tlsGuard()
              .install(vertx.createHttpServer(serverOptions(options.tlsGuard(), true)), router);
      started.add(
          named(
              tlsServer.listen(options.tlsPort(), options.host()),
              "HTTPS",
              options.host(),
              options.tlsPort()));
    }
    if (services.publishRate.enabled()) {
      vertx.setPeriodic(RATE_EVICTION_MS, id -> services.publishRate.evictIdle());
    }
    return Future.all(started);
  }

  /**
   * A listen failure that names the listener and its address (Netty says only "Address already in
   * use").
   */
  static <T> Future<T> named(Future<T> listening, String listener, String host, int port) {
    return listening.recover(
        e ->
            Future.failedFuture(
                new IllegalStateException(
                    listener
                        + " listener cannot listen on "
                        + host
                        + ":"
                        + port
                        + ": "
                        + e.getMessage(),
                    e)));
  }

  /** Every route of the port; {@code HttpApiRoutesIT} checks each is in the OpenAPI document. */
  Router router() {
    Router router = Router.router(vertx);
    // metrics are on the management port only (internal), not on this public one
    HealthRoutes.mount(router, ready, null);
    Buffer openApi = Buffer.buffer(openApiDocument());
    router
        .get(OPENAPI_PATH)
        .handler(
            ctx ->
                ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml; charset=utf-8")
                    .end(openApi));
    router.post("/mqtt/messages").handler(new HttpPublishHandler(vertx, services, metrics));
    RetainedMessagesApi retained = new RetainedMessagesApi(services);
    router.get("/mqtt/retainedMessages/message").handler(retained::get);
    router.delete("/mqtt/retainedMessages/message").handler(retained::delete);
    router.get("/mqtt/retainedMessages").handler(retained::list);
    // the webhook validation handshake's callback (docs/routing.md#webhook-validation): GET or
    // POST,
    // as the CloudEvents webhook spec lets the receiver choose
    router.get(ValidationCallbacks.PATH).handler(this::validationCallback);
    router.post(ValidationCallbacks.PATH).handler(this::validationCallback);
    router.errorHandler(
        404,
        ctx ->
            ApiResponses.fail(
                ctx,
                ApiException.notFound(
                    "no resource at " + PublishRules.printable(ctx.request().path()))));
    router.errorHandler(
        405,
        ctx ->
            ApiResponses.fail(
                ctx,
                new ApiException(
                    405,
                    "MethodNotAllowed",
                    ctx.request().method()
                        + " is not allowed on "
                        + PublishRules.printable(ctx.request().path()))));
    router.errorHandler(500, this::internalFailure);
    return router;
  }

  /**
   * A webhook receiver approves its destination: the token's node (any node of the cluster) takes
   * it, or 404 (a wrong, used or stale token; which of them is not said).
   */
  private void validationCallback(RoutingContext ctx) {
    List<String> tokens = ctx.queryParam("token");
    ValidationCallbacks.approve(
            vertx,
            tokens.size() == 1 ? tokens.get(0) : null,
            ctx.request().getHeader("WebHook-Allowed-Rate"))
        .onComplete(
            ar -> {
              if (ar.succeeded() && ar.result()) {
                ctx.json(new JsonObject().put("validated", true));
              } else {
                ApiResponses.fail(
                    ctx, ApiException.notFound("no webhook validation waits for this token"));
              }
            });
  }

  private void internalFailure(RoutingContext ctx) {
    ApiResponses.fail(
        ctx, ctx.failure() == null ? ApiException.internal("internal error") : ctx.failure());
  }

  private HttpServerOptions serverOptions(HttpConnectionGuard guard, boolean tls) {
    HttpServerOptions o =
        guard
            .configure(new HttpServerOptions())
            .setMaxHeaderSize(MAX_HEADER_SIZE)
            .setMaxInitialLineLength(MAX_INITIAL_LINE_LENGTH);
    if (tls) {
      o.setSsl(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(options.certFile())
                  .setKeyPath(options.keyFile()));
      TlsVersions.apply(o);
    }
    return o;
  }

  /** The OpenAPI document of this port, as kept in the repository. */
  static byte[] openApiDocument() {
    try (InputStream in = HttpApiVerticle.class.getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the build");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  /** The HTTPS port, -1 when HTTPS is off. */
  public int actualTlsPort() {
    return tlsServer == null ? -1 : tlsServer.actualPort();
  }
}
