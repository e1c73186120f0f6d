package io.mqttgrid.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Error answers of the HTTP API, and reading a request body within a size limit. */
final class ApiResponses {

  private static final Logger LOG = LoggerFactory.getLogger(ApiResponses.class);

  private ApiResponses() {}

  /**
   * Answers with the error {@code failure} stands for: an {@link ApiException} as it is, anything
   * else as a 500 (logged, since it is a broker fault). Returns the status sent.
   */
  static int fail(RoutingContext ctx, Throwable failure) {
    HttpServerResponse answered = ctx.response();
    if (answered.ended()) {
      // answered already, e.g. 408 by the connection's body deadline, which also broke off the body
      // read
      LOG.debug(
          "{} {} answered {} before: {}",
          ctx.request().method(),
          ctx.request().path(),
          answered.getStatusCode(),
          failure.toString());
      return answered.getStatusCode();
    }
    ApiException error =
        failure instanceof ApiException a ? a : ApiException.internal("internal error");
    HttpServerRequest request = ctx.request();
    if (error.status() >= 500) {
      LOG.warn(
          "{} {} failed with {}: {}",
          request.method(),
          request.path(),
          error.status(),
          failure instanceof ApiException ? failure.getMessage() : failure.toString());
    } else {
      LOG.debug("{} {} refused: {}", request.method(), request.path(), error);
    }
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return error.status();
    }
    response.setStatusCode(error.status());
    error.headers().forEach(response::putHeader);
    boolean dropConnection = error.status() == 413 && !request.isEnded();
    if (dropConnection) {
      // said before the close, so that the client does not send its next request on this connection
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8");
    Future<Void> sent = response.end(error.toJson().encode());
    if (dropConnection) {
      // refused while the body still comes: drop the connection rather than read the rest
      sent.onComplete(x -> request.connection().close());
    }
    return error.status();
  }

  /**
   * The request body, at most {@code limit} bytes: a larger declared Content-Length is refused
   * (413) before anything is read, a larger streamed body as soon as it passes the limit. Must be
   * called before the request handler returns (the router does not pause requests).
   */
  static Future<Buffer> readBody(HttpServerRequest request, long limit) {
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        return Future.failedFuture(
            ApiException.badRequest("InvalidContentLength", "Content-Length is not a number"));
      }
      if (length > limit) {
        return Future.failedFuture(tooLarge(limit));
      }
    }
    if (request.isEnded()) {
      return Future.succeededFuture(Buffer.buffer());
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      request.response().writeContinue();
    }
    Promise<Buffer> promise = Promise.promise();
    Buffer body = Buffer.buffer();
    request.handler(
        chunk -> {
          if (promise.future().isComplete()) {
            return;
          }
          if (body.length() + chunk.length() > limit) {
            promise.tryFail(tooLarge(limit));
          } else {
            body.appendBuffer(chunk);
          }
        });
    request.endHandler(v -> promise.tryComplete(body));
    request.exceptionHandler(promise::tryFail);
    request.resume();
    return promise.future();
  }

  private static ApiException tooLarge(long limit) {
    return ApiException.payloadTooLarge("the body may have at most " + limit + " bytes");
  }
}
