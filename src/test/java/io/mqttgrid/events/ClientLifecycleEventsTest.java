package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.cloudevents.CloudEvent;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The session events of one connection, in the order a consumer expects them. */
class ClientLifecycleEventsTest {

  private final List<CloudEvent> sent = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Long> number = new CompletableFuture<>();

  private final ClientLifecycleEvents lifecycle =
      new ClientLifecycleEvents(
          "ns",
          "n1",
          new SessionSequence() {
            @Override
            public CompletableFuture<Long> next(String clientId, String node, String auth) {
              return number;
            }

            @Override
            public void ended(String clientId, long sequenceNumber) {}
          },
          new ClientLifecycleEvents.Sink() {
            @Override
            public boolean clientLifecycleEventsOn() {
              return true;
            }

            @Override
            public void offer(CloudEvent event) {
              sent.add(event);
            }
          });

  @Test
  void aClientThatLeavesBeforeItsNumberCameGetsConnectedThenDisconnected() {
    ClientLifecycleEvents.Connection c = lifecycle.connected("auth-1", "client-1");
    lifecycle.disconnected(c, DisconnectionReason.CLIENT_INITIATED_DISCONNECT);
    number.complete(7L);

    assertThat(sent)
        .extracting(CloudEvent::getType)
        .containsExactly(
            "Microsoft.EventGrid.MQTTClientSessionConnected",
            "Microsoft.EventGrid.MQTTClientSessionDisconnected");
  }
}
