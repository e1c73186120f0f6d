package io.mqttgrid.http;

import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.publish.PublishRefusal;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the HTTP API refuses: the status and the body {@code {"error": {"code": ..., "message":
 * ...}}} it answers with. Thrown by the request parsers and carried as a failed future's cause; it
 * has no stack trace, since a bad request is an expected event.
 */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final Map<String, String> headers = new LinkedHashMap<>();

  public ApiException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  /**
   * The machine-readable error code, e.g. {@code InvalidTopic}; the table is in the OpenAPI
   * document.
   */
  public String code() {
    return code;
  }

  /** Adds a response header (WWW-Authenticate, Retry-After) to send with the error. */
  public ApiException header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  public Map<String, String> headers() {
    return Map.copyOf(headers);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("error", new JsonObject().put("code", code).put("message", getMessage()));
  }

  /** A message the publish pipeline refused, answered as {@link PublishRefusal} says HTTP does. */
  static ApiException refused(PublishPipeline.Refused refused) {
    return of(refused.cause(), refused.detail());
  }

  /**
   * The HTTP answer for a cause of the publish pipeline's table, with {@code message} as its
   * explanation.
   */
  static ApiException of(PublishRefusal cause, String message) {
    ApiException e = new ApiException(cause.httpStatus(), cause.httpCode(), message);
    return cause == PublishRefusal.STORE_UNAVAILABLE ? e.header("Retry-After", "5") : e;
  }

  static ApiException badRequest(String code, String message) {
    return new ApiException(400, code, message);
  }

  static ApiException unauthorized(String message) {
    return new ApiException(401, "Unauthorized", message);
  }

  static ApiException forbidden(String message) {
    return new ApiException(403, "Forbidden", message);
  }

  static ApiException notFound(String message) {
    return new ApiException(404, "NotFound", message);
  }

  static ApiException payloadTooLarge(String message) {
    return new ApiException(413, "PayloadTooLarge", message);
  }

  static ApiException internal(String message) {
    return new ApiException(500, "InternalError", message);
  }

  @Override
  public String toString() {
    return status + " " + code + ": " + getMessage();
  }
}
