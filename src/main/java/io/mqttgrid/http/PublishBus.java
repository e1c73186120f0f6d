package io.mqttgrid.http;

import io.mqttgrid.routing.PublishService;
import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * The node-local event-bus address {@value #ADDRESS} through which a publish that did not arrive over MQTT
 * (the HTTP API) reaches routing (ARCHITECTURE.md section 3): the consumer calls {@link PublishService} and
 * answers with the number of subscribers reached once the message is as durable as its QoS promises. Local
 * only: the message object travels without a copy, and each node routes what it received itself.
 */
public final class PublishBus {

  public static final String ADDRESS = "mqttgrid.publish";
  static final String CODEC = "mqttgrid.published-message.local";
  /** Longer than a remote node's confirmation may take (10 s), so that failure is reported, not a timeout. */
  static final long TIMEOUT_MS = 30_000;
  private static final int PUBLISH_FAILED = 500;

  private PublishBus() {
  }

  /** Registers the message codec; once per Vert.x instance, before any consumer or sender. */
  public static void registerCodec(Vertx vertx) {
    vertx.eventBus().registerCodec(new LocalCodec());
  }

  /** A consumer on the caller's context (a verticle's event loop) that routes what it receives. */
  static Future<MessageConsumer<PublishedMessage>> consume(Vertx vertx, PublishService publisher) {
    MessageConsumer<PublishedMessage> consumer = vertx.eventBus().localConsumer(ADDRESS, msg -> {
      Future<Integer> routed;
      try {
        routed = publisher.publish(msg.body());
      } catch (RuntimeException e) {
        // a store that throws instead of failing its future (its cluster member stopped): still an answer
        routed = Future.failedFuture(e);
      }
      routed.onComplete(ar -> {
        if (ar.succeeded()) {
          msg.reply(ar.result());
        } else {
          msg.fail(PUBLISH_FAILED, String.valueOf(ar.cause()));
        }
      });
    });
    return consumer.completion().map(consumer);
  }

  /** Hands {@code message} to routing; the future holds the number of subscribers reached. */
  static Future<Integer> publish(Vertx vertx, PublishedMessage message) {
    DeliveryOptions options = new DeliveryOptions().setCodecName(CODEC).setLocalOnly(true)
        .setSendTimeout(TIMEOUT_MS);
    return vertx.eventBus().<Integer>request(ADDRESS, message, options)
        .map(reply -> reply.body())
        .recover(e -> Future.failedFuture(failure(e)));
  }

  private static ApiException failure(Throwable e) {
    if (e instanceof ReplyException r && r.failureType() == ReplyFailure.TIMEOUT) {
      return ApiException.internal("routing did not confirm the message within " + TIMEOUT_MS / 1000 + " s");
    }
    if (e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
      return new ApiException(503, "ServiceUnavailable", "routing is not running on this node");
    }
    return ApiException.internal("the message could not be routed: " + e.getMessage());
  }

  /** Passes the immutable message object itself; never on the wire (the address is local only). */
  private static final class LocalCodec implements MessageCodec<PublishedMessage, PublishedMessage> {

    @Override
    public void encodeToWire(Buffer buffer, PublishedMessage message) {
      throw new UnsupportedOperationException(CODEC + " is local only");
    }

    @Override
    public PublishedMessage decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException(CODEC + " is local only");
    }

    @Override
    public PublishedMessage transform(PublishedMessage message) {
      return message;
    }

    @Override
    public String name() {
      return CODEC;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
