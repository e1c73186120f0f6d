package io.mqttgrid.routing;

import io.vertx.core.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Where every publish goes after validation and authorization, from MQTT, HTTP or a will: the
 * retained store when RETAIN is set, and the router. The future completes when the message is as
 * durable as the publisher's acknowledgement promises (docs/architecture.md, "The publish path").
 */
public final class PublishService {

  private final MessageRouter router;
  private final Function<PublishedMessage, Future<Void>> retainedStore;
  private final String idPrefix;
  private final AtomicLong counter = new AtomicLong();

  /**
   * @param retainedStore stores (or, with an empty payload, clears) a retained message
   */
  public PublishService(
      String nodeId, MessageRouter router, Function<PublishedMessage, Future<Void>> retainedStore) {
    this.router = router;
    this.retainedStore = retainedStore;
    this.idPrefix = nodeId + ':' + Long.toHexString(System.currentTimeMillis()) + ':';
  }

  /** A message id unique in the cluster: node, start time, counter. */
  public String newMessageId() {
    return idPrefix + counter.incrementAndGet();
  }

  /** Publishes {@code message}; the future holds the number of subscribers that got it. */
  public Future<Integer> publish(PublishedMessage message) {
    Future<Void> retained = message.retain() ? retainedStore.apply(message) : null;
    // an empty retained message only clears the topic; it is still delivered as a normal message
    Future<Integer> routed = router.route(message);
    if (retained == null) {
      return routed;
    }
    return Future.all(retained, routed).map(x -> routed.result());
  }
}
