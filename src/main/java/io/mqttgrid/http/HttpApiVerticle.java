package io.mqttgrid.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.function.Supplier;

/** The node's HTTP port: health for load balancers and orchestrators, and Prometheus metrics. */
public final class HttpApiVerticle extends VerticleBase {

  private final String host;
  private final int port;
  private final Supplier<Readiness> ready;
  private final PrometheusMeterRegistry registry;
  private HttpServer server;

  /** What /health/ready reports: whether to send clients here, this node's id, the cluster members it sees. */
  public record Readiness(boolean ready, String node, int members) {
  }

  public HttpApiVerticle(String host, int port, Supplier<Readiness> ready, PrometheusMeterRegistry registry) {
    this.host = host;
    this.port = port;
    this.ready = ready;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(ctx -> {
      Readiness r = ready.get();
      ctx.response().setStatusCode(r.ready() ? 200 : 503);
      ctx.json(new JsonObject().put("status", r.ready() ? "UP" : "DOWN").put("node", r.node())
          .put("members", r.members()));
    });
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(registry.scrape()));
    server = vertx.createHttpServer();
    return server.requestHandler(router).listen(port, host);
  }

  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
