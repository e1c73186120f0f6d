package io.mqttgrid.hazelcast;

import com.hazelcast.aggregation.Aggregators;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.query.Predicates;
import io.mqttgrid.session.SessionOwnership;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owners of session names in the IMap {@code mqttgrid.session-owners} (client id to lower-cased
 * authentication name).
 *
 * <p>An owner entry lives as long as the session does: it is removed once the client id has neither
 * a connection nor a persistent session (watched through those maps' removal events on the
 * partition owner). A claim that finds an entry whose session is gone treats it as free, so a
 * missed removal cannot lock a name out.
 */
public final class HazelcastSessionOwnership implements SessionOwnership {

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastSessionOwnership.class);

  public static final String MAP = "mqttgrid.session-owners";

  /** Lock keys per authentication name; client ids never contain U+0000 (refused at CONNECT). */
  private static final String LOCK_PREFIX = "\u0000auth:";

  private final Vertx vertx;

  /**
   * Where the releases run their blocking checks: one context for all (from Hazelcast's event
   * threads, {@code vertx.executeBlocking} would make a context for every removal).
   */
  private final Context releases;

  private final IMap<String, String> owners;
  private final IMap<String, ?> connections;
  private final IMap<String, ?> sessions;

  public HazelcastSessionOwnership(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.releases = vertx.getOrCreateContext();
    this.owners = hz.getMap(MAP);
    this.connections = hz.getMap(HazelcastSessionStore.CONNECTIONS);
    this.sessions = hz.getMap(HazelcastSessionStore.SESSIONS);
    SessionGone gone = new SessionGone();
    // local listeners: each removal is seen once, by the member owning the key
    connections.addLocalEntryListener(gone);
    sessions.addLocalEntryListener(gone);
  }

  /**
   * Runs on a worker: it takes a cluster lock per name so two concurrent connects cannot both take
   * the last place.
   */
  @Override
  public Future<Claim> claim(String clientId, String authenticationName, int maxSessions) {
    String name = authenticationName.toLowerCase(Locale.ROOT);
    return vertx.executeBlocking(
        () -> {
          String lock = LOCK_PREFIX + name;
          owners.lock(lock);
          try {
            String owner = owners.get(clientId);
            if (owner != null && !owner.equals(name)) {
              if (alive(clientId)) {
                return Claim.OWNED_BY_OTHER;
              }
              owner = null; // its session is gone
            }
            if (owner == null) {
              if (count(name) >= maxSessions && sweep(name) >= maxSessions) {
                return Claim.QUOTA_EXCEEDED;
              }
              owners.set(clientId, name);
            }
            return Claim.OK;
          } finally {
            owners.unlock(lock);
          }
        },
        false);
  }

  private long count(String name) {
    return owners.aggregate(Aggregators.count(), Predicates.equal("this", name));
  }

  /** Drops this name's entries whose session has ended meanwhile; answers how many remain. */
  private long sweep(String name) {
    long live = 0;
    for (Map.Entry<String, String> e : owners.entrySet(Predicates.equal("this", name))) {
      if (alive(e.getKey())) {
        live++;
      } else {
        owners.remove(e.getKey(), name);
      }
    }
    return live;
  }

  private boolean alive(String clientId) {
    return connections.containsKey(clientId) || sessions.containsKey(clientId);
  }

  private void released(String clientId) {
    // nothing listens to the outcome: a failure is logged where it happens, so that the end of the
    // check is not handed to an event loop (a task and a wake-up for every connection's removal)
    releases.executeBlocking(
        () -> {
          try {
            // first whether there is an owner to release at all (never, for an anonymous
            // client): getEntryView reads the member's memory only, which holds every owner (the
            // map is loaded whole at start and never read through), while containsKey, get and
            // remove of a missing key each ask the MapStore through Hazelcast's step engine
            // (~2 % of a node's CPU in a connect storm, issue 15)
            if (owners.getEntryView(clientId) != null && !alive(clientId)) {
              owners.remove(clientId);
            }
          } catch (RuntimeException e) {
            LOG.debug("owner of session '{}' not released: {}", clientId, e.toString());
          }
          return null;
        },
        false);
  }

  private final class SessionGone
      implements EntryRemovedListener<String, Object>,
          EntryEvictedListener<String, Object>,
          EntryExpiredListener<String, Object> {
    @Override
    public void entryRemoved(EntryEvent<String, Object> event) {
      released(event.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, Object> event) {
      released(event.getKey());
    }

    @Override
    public void entryExpired(EntryEvent<String, Object> event) {
      released(event.getKey());
    }
  }
}
