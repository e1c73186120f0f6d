package io.mqttgrid.http;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Vert.x WebClient on its own Vert.x, speaking to one HTTP port, blocking the test thread for
 * each answer.
 */
final class HttpApiClient implements AutoCloseable {

  static final String PUBLISH_VERSION = "2025-02-15-preview";
  static final String RETAINED_VERSION = "2025-11-16-preview";

  private final Vertx vertx = Vertx.vertx();
  private final WebClient web;
  private final String host;
  private final int port;

  HttpApiClient(String host, int port) {
    this(host, port, new WebClientOptions());
  }

  HttpApiClient(String host, int port, WebClientOptions options) {
    this.host = host;
    this.port = port;
    this.web = WebClient.create(vertx, options);
  }

  /**
   * {@code POST /mqtt/messages?<rawQuery>} with these headers (a null value is not sent) and body.
   */
  HttpResponse<Buffer> publish(String rawQuery, Map<String, String> headers, byte[] body) {
    return send(HttpMethod.POST, "/mqtt/messages?" + rawQuery, headers, body);
  }

  HttpResponse<Buffer> send(
      HttpMethod method, String uri, Map<String, String> headers, byte[] body) {
    HttpRequest<Buffer> request = web.request(method, port, host, uri);
    MultiMap h = request.headers();
    headers.forEach(
        (k, v) -> {
          if (v != null) {
            h.add(k, v);
          }
        });
    return await(body == null ? request.send() : request.sendBuffer(Buffer.buffer(body)));
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The JSON error body's code. */
  static String errorCode(HttpResponse<Buffer> r) {
    JsonObject body = r.bodyAsJsonObject();
    return body.getJsonObject("error").getString("code");
  }

  Vertx vertx() {
    return vertx;
  }

  @Override
  public void close() {
    web.close();
    await(vertx.close());
  }
}
