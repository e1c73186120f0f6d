package io.mqttgrid.hazelcast;

import io.mqttgrid.testing.Await;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.UUID;

/**
 * Another node, as a node's route table sees one: a node id of its own and the consumer of its
 * route news, registered before the constructor returns (news sent earlier would find nobody).
 * Closing unregisters it.
 */
final class OtherNode implements AutoCloseable {

  final String id = "other-" + UUID.randomUUID();
  private final MessageConsumer<Object> news;

  /** The node, handing each route news message it gets to {@code hearing}. */
  OtherNode(Vertx vertx, Handler<Message<Object>> hearing) {
    news = vertx.eventBus().consumer(HazelcastRouteTable.newsAddress(id), hearing);
    Await.until(
        "the other node's consumer registered",
        Duration.ofSeconds(10),
        () -> news.completion().isComplete());
  }

  @Override
  public void close() {
    news.unregister();
  }
}
