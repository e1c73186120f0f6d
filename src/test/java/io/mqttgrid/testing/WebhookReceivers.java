package io.mqttgrid.testing;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** What the tests' webhook receivers share. */
public final class WebhookReceivers {

  private WebhookReceivers() {}

  /**
   * {@code events}, behind the CloudEvents webhook validation handshake a receiver answers before
   * routing sends it events (docs/routing.md#webhook-validation): an OPTIONS request with {@code
   * WebHook-Request-Origin} is answered 200 with that origin allowed; every other request goes to
   * {@code events}.
   */
  public static Handler<HttpServerRequest> answeringHandshake(Handler<HttpServerRequest> events) {
    return req -> {
      String origin = req.getHeader("WebHook-Request-Origin");
      if (req.method() == HttpMethod.OPTIONS && origin != null) {
        req.response()
            .putHeader("WebHook-Allowed-Origin", origin)
            .putHeader("Allow", "POST")
            .setStatusCode(200)
            .end();
      } else {
        events.handle(req);
      }
    };
  }

  /**
   * A receiver that answers the handshake ({@link #answeringHandshake}) and hands every other
   * request, once its body is read, to {@code received}, which answers it (or leaves it hanging).
   */
  public static Handler<HttpServerRequest> receiving(
      BiConsumer<HttpServerRequest, Buffer> received) {
    return answeringHandshake(req -> req.body().onSuccess(body -> received.accept(req, body)));
  }

  /**
   * A receiver that answers the handshake, hands every event it is sent to {@code each} (a batch,
   * {@code application/cloudevents-batch+json}, event by event) and answers 200.
   */
  public static Handler<HttpServerRequest> collecting(Consumer<JsonObject> each) {
    return receiving(
        (req, body) -> {
          events(body).forEach(each);
          req.response().setStatusCode(200).end();
        });
  }

  /**
   * The CloudEvents in a request's {@code body}: one structured event, or each of a batch ({@code
   * application/cloudevents-batch+json}) in order.
   */
  public static List<JsonObject> events(Buffer body) {
    String text = body.toString().trim();
    if (!text.startsWith("[")) {
      return List.of(new JsonObject(text));
    }
    List<JsonObject> events = new ArrayList<>();
    new JsonArray(text).forEach(e -> events.add((JsonObject) e));
    return events;
  }
}
