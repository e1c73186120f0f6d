package io.mqttgrid.http;

import io.mqttgrid.persistence.PersistenceException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The error answers of the management port (and its reading of JSON bodies), shared by the
 * namespace model's API, the bridge API and the web console's API so that a client sees one shape
 * ({@code {"error": {"code", "message", "target"}}}) and one outage answer whichever resource it
 * asked for.
 */
public final class ManagementErrors {

  /** Seconds a caller is asked to wait before repeating a change the state database refused. */
  static final String STORE_RETRY_AFTER_SECONDS = "5";

  private ManagementErrors() {}

  /**
   * Answers {@code status} with the error body; {@code target} (the field at fault) may be null. A
   * request refused before its body was read (authorization) loses its connection rather than
   * having its body read.
   */
  public static void error(
      RoutingContext ctx, int status, String code, String message, String target) {
    if (ctx.response().ended()) {
      return;
    }
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    if (target != null) {
      error.put("target", target);
    }
    if (status == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
    }
    HttpServerRequest request = ctx.request();
    boolean unreadBody =
        !request.isEnded()
            && (request.headers().contains(HttpHeaders.CONTENT_LENGTH)
                || request.headers().contains(HttpHeaders.TRANSFER_ENCODING));
    if (unreadBody) {
      ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    }
    ctx.response().setStatusCode(status);
    Future<Void> sent = ctx.json(new JsonObject().put("error", error));
    if (unreadBody) {
      sent.onComplete(x -> request.connection().close());
    } else {
      // paused by the admin check; its end must still be read for the connection to go on
      request.resume();
    }
  }

  /**
   * The request's body as a JSON object, or null once the request has been refused with 400 (no
   * body, not JSON, or JSON of another kind).
   */
  public static JsonObject jsonObjectBody(RoutingContext ctx) {
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

  /**
   * Answers 503 with {@code Retry-After} when {@code cause} is the state database being
   * unavailable, and says whether it did. A write-through change that failed so was neither stored
   * nor applied, so the caller may simply repeat it; a read of something not in memory needed the
   * database.
   */
  public static boolean storeUnavailable(RoutingContext ctx, Throwable cause) {
    if (!PersistenceException.isCauseOf(cause)) {
      return false;
    }
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, STORE_RETRY_AFTER_SECONDS);
    error(
        ctx,
        503,
        "ServiceUnavailable",
        "the state database is unavailable (nothing was changed); try again later",
        null);
    return true;
  }
}
