package io.mqttgrid.publish;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.Permissions;
import io.mqttgrid.routing.PublishService;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.wire.MqttLimits;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a message enters routing, whatever its source (MQTT, HTTP, later a bridge or the
 * broker itself): validate it ({@link PublishRules}), authorize it against the source's rights,
 * take it from the source's quota, build the {@link PublishedMessage}, and route it ({@link
 * PublishService}). A refusal is decided at once, on the caller's thread, with the cause that gives
 * each protocol its answer ({@link PublishRefusal}); an accepted message is routed there too, and
 * its future completes when it is as durable as the publisher's acknowledgement promises: every
 * matching persistent session, local or remote, holds it, and so does the retained store.
 *
 * <p>Thread-safe and stateless: one instance per node, shared by every event loop; nothing here
 * blocks.
 */
public final class PublishPipeline {

  private static final Logger LOG = LoggerFactory.getLogger(PublishPipeline.class);

  /** What became of a request. */
  public sealed interface Result permits Refused, Routed {}

  /** Refused, with the cause and a sentence for the publisher (echoing its input safely). */
  public record Refused(PublishRefusal cause, String detail) implements Result {}

  /**
   * Accepted and handed to routing; {@code reached} holds the number of subscribers that got the
   * message.
   */
  public record Routed(PublishedMessage message, Future<Integer> reached) implements Result {}

  private final PublishService publisher;
  private final MqttLimits limits;
  private final AcceptedMessages accepted;

  public PublishPipeline(PublishService publisher, MqttLimits limits) {
    this(publisher, limits, AcceptedMessages.NONE);
  }

  /**
   * @param accepted told of each accepted message (routing to CloudEvent destinations)
   */
  public PublishPipeline(PublishService publisher, MqttLimits limits, AcceptedMessages accepted) {
    this.publisher = publisher;
    this.limits = limits;
    this.accepted = accepted;
  }

  /**
   * The limits every message is held to, MQTT's (Event Grid's documented limits), whatever its
   * source.
   */
  public MqttLimits limits() {
    return limits;
  }

  /** Validates, authorizes, builds and routes {@code request} from {@code source}. */
  public Result publish(PublishSource source, PublishRequest request) {
    Refused invalid = PublishRules.check(request, limits, source.kind());
    if (invalid != null) {
      return invalid;
    }
    Permissions rights = source.rights().current();
    if (rights == null) {
      return new Refused(
          PublishRefusal.PUBLISHER_GONE, "'" + source.publisherId() + "' no longer has rights");
    }
    if (!rights.canPublish(request.topic())) {
      return new Refused(
          PublishRefusal.NOT_AUTHORIZED,
          "'"
              + source.publisherId()
              + "' may not publish to '"
              + request.topic()
              + "': the topic matches no topic space it publishes to");
    }
    if (!source.quota().tryTake(request.payload().length)) {
      return new Refused(
          PublishRefusal.QUOTA_EXCEEDED,
          "'" + source.publisherId() + "' publishes faster than its " + "rate allows");
    }
    PublishedMessage message = message(request, source.publisherId());
    return new Routed(message, publishAccepted(message, source.identity().current()));
  }

  /**
   * Routes a message accepted already, judged when it was built: a will, checked with its CONNECT.
   */
  public Future<Integer> publishAccepted(
      PublishedMessage message, ClientIdentity publisherIdentity) {
    tell(message, publisherIdentity);
    return route(message);
  }

  private void tell(PublishedMessage message, ClientIdentity publisherIdentity) {
    try {
      accepted.accepted(message, publisherIdentity);
    } catch (RuntimeException e) {
      // routing to CloudEvent destinations is on the side: it never fails a publish
      LOG.warn("routing of message to '{}' failed: {}", message.topic(), e.toString());
    }
  }

  /**
   * The message {@code request} stands for, published now by {@code publisherId}, with an id unique
   * in the cluster. For a message judged elsewhere and published later: an MQTT will, checked with
   * the CONNECT.
   */
  public PublishedMessage message(PublishRequest request, String publisherId) {
    return request.toMessage(publisher.newMessageId(), publisherId, System.currentTimeMillis());
  }

  private Future<Integer> route(PublishedMessage message) {
    try {
      return publisher.publish(message);
    } catch (RuntimeException e) {
      // a store that throws instead of failing its future (its cluster member stopped): still an
      // answer
      return Future.failedFuture(e);
    }
  }
}
