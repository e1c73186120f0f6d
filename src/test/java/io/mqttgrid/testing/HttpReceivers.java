package io.mqttgrid.testing;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HTTP servers a test routes to (webhooks, dead-letter destinations), on loopback ports of their
 * own and a Vert.x of their own, apart from the broker's; closing stops them all.
 */
public final class HttpReceivers implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();

  /** The receivers' Vert.x, for a handler that answers later (a timer). */
  public Vertx vertx() {
    return vertx;
  }

  /** A server on a free loopback port, answering every request with {@code handler}. */
  public HttpServer listen(Handler<HttpServerRequest> handler) throws TimeoutException {
    return listen(new HttpServerOptions(), handler);
  }

  /** {@link #listen(Handler)} with server options (TLS, say). */
  public HttpServer listen(HttpServerOptions options, Handler<HttpServerRequest> handler)
      throws TimeoutException {
    return vertx
        .createHttpServer(options)
        .requestHandler(handler)
        .listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  /** The base URL of {@code server}, one that {@link #listen} started. */
  public static String url(HttpServer server) {
    return "http://127.0.0.1:" + server.actualPort();
  }

  @Override
  public void close() throws TimeoutException {
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
