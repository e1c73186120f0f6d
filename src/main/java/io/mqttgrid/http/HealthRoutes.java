package io.mqttgrid.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.function.Supplier;

/**
 * Health for load balancers and orchestrators, and Prometheus metrics: served on more than one
 * port.
 */
public final class HealthRoutes {

  /**
   * What /health/ready reports: whether to send clients here, this node's id, the cluster members
   * it sees, and with persistence on the state database's condition ({@code ok}, {@code failing}:
   * its last statement failed, {@code fenced}: another cluster took its lease); null without
   * persistence; with routing on its state ({@code routing}: events buffered, the fullest buffer's
   * share, the destinations failing), and with bridge dataflows running here theirs ({@code
   * bridges}: instances, connected, the names of those not connected); neither ever makes the node
   * unready.
   */
  public record Readiness(
      boolean ready,
      String node,
      int members,
      String database,
      JsonObject routing,
      JsonObject bridges) {
    public Readiness(boolean ready, String node, int members) {
      this(ready, node, members, null, null, null);
    }

    public Readiness(boolean ready, String node, int members, String database) {
      this(ready, node, members, database, null, null);
    }
  }

  private HealthRoutes() {}

  private static JsonObject withDatabase(JsonObject body, String database) {
    return database == null ? body : body.put("database", database);
  }

  public static void mount(
      Router router, Supplier<Readiness> ready, PrometheusMeterRegistry registry) {
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router
        .get("/health/ready")
        .handler(
            ctx -> {
              Readiness r = ready.get();
              ctx.response().setStatusCode(r.ready() ? 200 : 503);
              JsonObject body =
                  withDatabase(
                      new JsonObject()
                          .put("status", r.ready() ? "UP" : "DOWN")
                          .put("node", r.node())
                          .put("members", r.members()),
                      r.database());
              if (r.bridges() != null) {
                body.put("bridges", r.bridges());
              }
              if (r.routing() != null) {
                body.put("routing", r.routing());
              }
              ctx.json(body);
            });
    if (registry != null) {
      router
          .get("/metrics")
          .handler(
              ctx ->
                  ctx.response()
                      .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                      .end(registry.scrape()));
    }
  }
}
