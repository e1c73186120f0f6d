package io.mqttgrid.console;

import io.mqttgrid.http.ManagementErrors;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** The request body and error answers every console endpoint shares. */
final class ConsoleHttp {

  private ConsoleHttp() {}

  /** The body as a JSON object, or null once a 400 has been answered. */
  static JsonObject jsonBody(RoutingContext ctx) {
    try {
      Object parsed = ctx.body().buffer() == null ? null : ctx.body().buffer().toJsonValue();
      if (parsed instanceof JsonObject o) {
        return o;
      }
      error(ctx, 400, "InvalidRequest", "the body must be a JSON object", null);
    } catch (DecodeException e) {
      error(ctx, 400, "InvalidRequest", "the body is not valid JSON", null);
    }
    return null;
  }

  /** The management API's error shape: {@code {"error": {"code", "message", "target"}}}. */
  static void error(RoutingContext ctx, int status, String code, String message, String target) {
    ManagementErrors.send(ctx, status, code, message, target);
  }
}
