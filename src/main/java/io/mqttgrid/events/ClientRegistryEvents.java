package io.mqttgrid.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code MQTTClientCreatedOrUpdated} and {@code MQTTClientDeleted} (Event Grid's client life-cycle
 * events) for changes of the client registry, whoever made them (namespace file, management API,
 * any node), coalesced: the changes of one client within {@code events.coalesce-window-ms} of its
 * first change become one event with the state at the end of the window (create and updates: one
 * CreatedOrUpdated with the final state; create then delete: only Deleted).
 *
 * <p>Once in the cluster: the changes come from a local entry listener on the namespace map ({@code
 * hazelcast.NamespaceEntryListener}), which Hazelcast calls only on the member owning the entry's
 * partition, so exactly one node sees each change of a client (and all the changes of that client).
 * Not on the node that made the change: a namespace file applied by several nodes at once would
 * send its events from each of them. What a node holds in its window is lost if it dies meanwhile,
 * and changes made while partitions move (a node joining or leaving) may be seen by no node or by
 * two.
 */
public final class ClientRegistryEvents {

  private static final Logger LOG = LoggerFactory.getLogger(ClientRegistryEvents.class);

  /** The namespace map's keys of clients ({@code io.mqttgrid.access.NamespaceStore}). */
  static final String CLIENT_KEY_PREFIX = "clients/";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final ClientLifecycleEvents events;
  private final long windowMillis;
  private final BiConsumer<Long, Runnable> timer;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  /** The changes of one client within its window. */
  private static final class Pending {
    /** The stored value after the last change; null when the last change deleted the client. */
    JsonNode last;

    /** The last value the client had: what a Deleted event names. */
    JsonNode lastExisting;
  }

  /**
   * @param timer runs a task after a delay in milliseconds (Vert.x timers in the broker)
   */
  public ClientRegistryEvents(
      ClientLifecycleEvents events, long windowMillis, BiConsumer<Long, Runnable> timer) {
    this.events = events;
    this.windowMillis = windowMillis;
    this.timer = timer;
  }

  /**
   * The stored value of namespace entry {@code key} changed from {@code before} to {@code after}
   * (null: absent). Any thread; ignores entries that are not clients.
   */
  public void changed(String key, String after, String before) {
    if (!key.startsWith(CLIENT_KEY_PREFIX)) {
      return;
    }
    String name = key.substring(CLIENT_KEY_PREFIX.length());
    JsonNode now = parse(after);
    JsonNode was = parse(before);
    pending.compute(
        name,
        (k, p) -> {
          if (p == null) {
            p = new Pending();
            timer.accept(windowMillis, () -> flush(k));
          }
          p.last = now;
          if (now != null) {
            p.lastExisting = now;
          } else if (was != null) {
            p.lastExisting = was;
          }
          return p;
        });
  }

  private void flush(String name) {
    Pending p = pending.remove(name);
    if (p == null || !events.on()) {
      return;
    }
    if (p.last != null) {
      events.emit(
          events.clientCreatedOrUpdated(
              name,
              p.last.path("properties"),
              p.last.path("createdAt").asText(""),
              p.last.path("lastModifiedAt").asText("")));
    } else if (p.lastExisting != null) {
      events.emit(events.clientDeleted(name, p.lastExisting.path("properties")));
    }
  }

  private static JsonNode parse(String json) {
    if (json == null) {
      return null;
    }
    try {
      return MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      LOG.warn("client registry entry is not JSON, no event for it: {}", e.getMessage());
      return null;
    }
  }
}
