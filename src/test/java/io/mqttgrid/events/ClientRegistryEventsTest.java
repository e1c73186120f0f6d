package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.cloudevents.CloudEvent;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Coalescing of client registry changes into life-cycle events (spec section 7). */
class ClientRegistryEventsTest {

  private final List<CloudEvent> sent = new ArrayList<>();
  private final List<Runnable> timers = new ArrayList<>();
  private final List<Long> delays = new ArrayList<>();

  private final ClientLifecycleEvents lifecycle =
      new ClientLifecycleEvents(
          "ns",
          "n1",
          new SessionSequence() {
            @Override
            public CompletableFuture<Long> next(String clientId, String node, String auth) {
              return CompletableFuture.completedFuture(1L);
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

  private final ClientRegistryEvents registry =
      new ClientRegistryEvents(
          lifecycle,
          3000,
          (delay, task) -> {
            delays.add(delay);
            timers.add(task);
          });

  private static String stored(String state, String floor) {
    return new JsonObject()
        .put("origin", "api")
        .put(
            "properties",
            new JsonObject()
                .put("authenticationName", "auth-1")
                .put("state", state)
                .put("attributes", new JsonObject().put("floor", floor)))
        .put("createdAt", "2026-12-06T10:00:00Z")
        .put("lastModifiedAt", "2026-12-06T10:00:0" + floor + "Z")
        .encode();
  }

  private void windowEnds() {
    List<Runnable> due = new ArrayList<>(timers);
    timers.clear();
    due.forEach(Runnable::run);
  }

  private static JsonObject data(CloudEvent e) {
    return new JsonObject(new String(e.getData().toBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void changesWithinTheWindowAreOneEventWithTheFinalState() {
    registry.changed("clients/c1", stored("Enabled", "1"), null);
    registry.changed("clients/c1", stored("Enabled", "2"), stored("Enabled", "1"));
    registry.changed("clients/c1", stored("Disabled", "3"), stored("Enabled", "2"));
    assertThat(delays).containsExactly(3000L);
    assertThat(sent).isEmpty();
    windowEnds();
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).getType()).isEqualTo(ClientLifecycleEvents.CLIENT_CREATED_OR_UPDATED);
    assertThat(data(sent.get(0)))
        .isEqualTo(
            new JsonObject(
                """
                {"createdOn":"2026-12-06T10:00:00Z","updatedOn":"2026-12-06T10:00:03Z",
                 "namespaceName":"ns","clientName":"c1","clientAuthenticationName":"auth-1",
                 "state":"Disabled","attributes":{"floor":"3"}}
                """));
  }

  @Test
  void createdThenDeletedIsOnlyDeletedNamingItsLastAuthenticationName() {
    registry.changed("clients/c1", stored("Enabled", "1"), null);
    registry.changed("clients/c1", null, stored("Enabled", "1"));
    windowEnds();
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).getType()).isEqualTo(ClientLifecycleEvents.CLIENT_DELETED);
    assertThat(sent.get(0).getSubject()).isEqualTo("clients/c1");
    assertThat(data(sent.get(0)))
        .isEqualTo(
            new JsonObject(
                """
                {"namespaceName":"ns","clientName":"c1","clientAuthenticationName":"auth-1"}
                """));
  }

  @Test
  void deletedThenCreatedAgainIsCreatedOrUpdated() {
    registry.changed("clients/c1", null, stored("Enabled", "1"));
    registry.changed("clients/c1", stored("Enabled", "2"), null);
    windowEnds();
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).getType()).isEqualTo(ClientLifecycleEvents.CLIENT_CREATED_OR_UPDATED);
  }

  @Test
  void aChangeAfterTheWindowStartsANewOne() {
    registry.changed("clients/c1", stored("Enabled", "1"), null);
    windowEnds();
    registry.changed("clients/c1", stored("Enabled", "2"), stored("Enabled", "1"));
    windowEnds();
    assertThat(sent).hasSize(2);
  }

  @Test
  void otherResourcesAndTheSettingsAreNoClientEvents() {
    registry.changed("topicSpaces/t1", "{\"properties\":{}}", null);
    registry.changed("settings", "{\"properties\":{}}", null);
    windowEnds();
    assertThat(sent).isEmpty();
    assertThat(delays).isEmpty();
  }
}
