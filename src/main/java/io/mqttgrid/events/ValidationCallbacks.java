package io.mqttgrid.events;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The {@code WebHook-Request-Callback} of the validation handshake (CloudEvents webhook spec,
 * section 4.1.3; Event Grid's manual validation): a URL on the node's HTTP port ({@value #PATH}
 * with a one-time token) that a receiver calls, GET or POST, to approve a destination later instead
 * of in its OPTIONS answer.
 *
 * <p>Each node asks the handshake for itself, so each node has its own tokens; the call may reach
 * any node (a load balancer in front of {@code routing.validation-callback-base-url}). A token
 * therefore starts with the id of the routing instance that made it, and the node called hands the
 * token over the cluster's event bus to that instance's address: a token that no instance of the
 * cluster waits for (wrong, used, or of a node that stopped) is refused.
 */
public final class ValidationCallbacks {

  /** The path of the callback URL on the HTTP port; the token is its {@code token} parameter. */
  public static final String PATH = "/routing/validation";

  private static final String ADDRESS = "mqttgrid.routing.validation.";

  /** 8 bytes of instance id, 16 of secret, in hex. */
  private static final Pattern TOKEN = Pattern.compile("[0-9a-f]{48}");

  private static final long HAND_OVER_TIMEOUT_MILLIS = 5000;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String instance;
  private final String baseUrl;
  private final Context context;
  private final Map<String, WebhookValidation> waiting = new ConcurrentHashMap<>();
  private final MessageConsumer<JsonObject> consumer;

  /**
   * @param baseUrl {@code routing.validation-callback-base-url}; empty: no callback is offered
   */
  ValidationCallbacks(Vertx vertx, Context context, String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.context = context;
    this.instance = random(8);
    this.consumer =
        baseUrl.isEmpty()
            ? null
            : vertx.eventBus().<JsonObject>consumer(ADDRESS + instance, m -> m.reply(called(m)));
  }

  boolean on() {
    return consumer != null;
  }

  /** A new token for {@code validation}, waiting for its call. */
  String open(WebhookValidation validation) {
    String token = instance + random(16);
    waiting.put(token, validation);
    return token;
  }

  /** The token is no longer valid (the destination validated, moved or went away). */
  void close(String token) {
    if (token != null) {
      waiting.remove(token);
    }
  }

  /** The URL sent in {@code WebHook-Request-Callback} for {@code token}. */
  String url(String token) {
    return baseUrl + PATH + "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
  }

  /** A call handed over by the node that was called: whether a validation waited for it. */
  private boolean called(io.vertx.core.eventbus.Message<JsonObject> m) {
    String token = m.body().getString("token");
    WebhookValidation v = token == null ? null : waiting.remove(token);
    if (v == null) {
      return false;
    }
    String rate = m.body().getString("allowedRate");
    context.runOnContext(x -> v.called(token, rate));
    return true;
  }

  /**
   * The callback was called with {@code token} (and the receiver's {@code WebHook-Allowed-Rate}, or
   * null), on whichever node: true once the node that made the token took it.
   */
  public static Future<Boolean> approve(Vertx vertx, String token, String allowedRate) {
    if (token == null || !TOKEN.matcher(token).matches()) {
      return Future.succeededFuture(false);
    }
    JsonObject call = new JsonObject().put("token", token).put("allowedRate", allowedRate);
    return vertx
        .eventBus()
        .<Boolean>request(
            ADDRESS + token.substring(0, 16),
            call,
            new DeliveryOptions().setSendTimeout(HAND_OVER_TIMEOUT_MILLIS))
        .map(r -> Boolean.TRUE.equals(r.body()))
        // no such instance (a wrong token, or its node stopped) or it did not answer
        .otherwise(false);
  }

  void close() {
    if (consumer != null) {
      consumer.unregister();
    }
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
