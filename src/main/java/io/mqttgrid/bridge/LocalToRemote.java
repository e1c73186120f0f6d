package io.mqttgrid.bridge;

import io.mqttgrid.bridge.BridgeFile.Dataflow;
import io.mqttgrid.bridge.BridgeFile.Endpoint;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.session.ClientChannel;
import io.mqttgrid.session.Session;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local side of a local-to-remote dataflow instance: the bridge's persistent session at this
 * broker ({@code $bridge/<dataflow>}), subscribed to the dataflow's sources, whose "connection" is
 * the remote client ({@link LocalChannel}). A message leaves the session's queue only when the
 * remote's PUBACK arrives; while the remote is away the session is offline and its queue fills in
 * the session store, within the session limits, and survives this node like any persistent session.
 * On the bridges' context; the connection's lifecycle (generations, backoff) is its {@link
 * DataflowBridge}'s.
 */
final class LocalToRemote {

  private static final Logger LOG = LoggerFactory.getLogger(LocalToRemote.class);

  /** What this side needs of the dataflow instance that runs it. */
  interface Owner {
    /** The instance is stopped: no session is opened any more. */
    boolean stopped();

    /** {@code gen} is the instance's current connection to the remote. */
    boolean current(int gen);

    /** The connection {@code gen} failed: back off and reconnect. */
    void lost(int gen, Throwable cause);

    void forwarded(long latencyMillis);

    void dropped(String reason);

    /** A rate-limited warning of the dataflow. */
    void warn(String text);

    void dropUnresolved(String topic);

    /** Another node took the bridge's session over: it runs the dataflow now. */
    void stop();
  }

  private final Context context;
  private final Dataflow flow;
  private final Endpoint endpoint;
  private final SessionManager sessions;
  private final LoopGuard loops;
  private final String name;
  private final String localClientId;
  private final Owner owner;
  private LocalChannel channel;
  private Future<Void> localChain = Future.succeededFuture();

  LocalToRemote(
      Context context,
      Dataflow flow,
      SessionManager sessions,
      LoopGuard loops,
      String name,
      String localClientId,
      Owner owner) {
    this.context = context;
    this.flow = flow;
    this.endpoint = flow.remote();
    this.sessions = sessions;
    this.loops = loops;
    this.name = name;
    this.localClientId = localClientId;
    this.owner = owner;
  }

  /** Completes when the session's last open or close is done. */
  Future<Void> settled() {
    return localChain;
  }

  /**
   * Opens (or resumes) the bridge's session at this broker, subscribed to the sources, and attaches
   * it to {@code client}; with no client (or a connection lost meanwhile) the session goes offline
   * at once and queues.
   */
  void open(RemoteClient client, int gen) {
    localChain =
        localChain
            .recover(e -> Future.succeededFuture())
            .compose(
                x -> {
                  if (owner.stopped()) {
                    return Future.succeededFuture();
                  }
                  return sessions
                      .connect(
                          new SessionManager.ConnectRequest(
                              localClientId, false, endpoint.sessionExpirySeconds(), 5, null, 0))
                      .compose(attached -> subscribe(attached.session()).map(attached))
                      .map(
                          attached -> {
                            LocalChannel ch = new LocalChannel(gen, client, attached.session());
                            sessions.attach(attached, ch);
                            if (client != null && owner.current(gen) && !owner.stopped()) {
                              channel = ch;
                            } else {
                              ch.end();
                            }
                            return (Void) null;
                          })
                      .onFailure(
                          e -> {
                            LOG.warn(
                                "bridge dataflow {}: session {} not opened here: {}",
                                name,
                                localClientId,
                                e.toString());
                            if (client != null) {
                              owner.lost(gen, e);
                            }
                          });
                });
  }

  /** The session's subscriptions are the dataflow's sources, as configured now. */
  private Future<Void> subscribe(Session session) {
    Promise<Void> done = Promise.promise();
    session.onContext(
        () -> {
          Set<String> wanted = new HashSet<>(flow.subscriptionFilters());
          for (Subscription s : session.subscriptions()) {
            if (!wanted.contains(s.filter())) {
              session.unsubscribe(s.filter());
            }
          }
          for (String filter : flow.subscriptionFilters()) {
            // Retain As Published so that retain Keep forwards the flag; retained messages are not
            // sent on
            // subscribe (Retain Handling 2): the bridge forwards the message flow, not the retained
            // store
            session.subscribe(new Subscription(filter, endpoint.qos(), false, true, 2, 0));
          }
          sessions.subscriptionsChanged(session).onComplete(done);
        });
    return done.future();
  }

  void detach() {
    LocalChannel ch = channel;
    channel = null;
    if (ch != null) {
      ch.end();
    }
  }

  /**
   * The bridge's local session sends through this: each PUBLISH becomes a publish to the remote,
   * and the remote's PUBACK acknowledges it to the session. Its window is the endpoint's max
   * in-flight messages.
   */
  private final class LocalChannel implements ClientChannel {
    private final int gen;
    private final RemoteClient client;
    private final Session session;
    private boolean ended;

    LocalChannel(int gen, RemoteClient client, Session session) {
      this.gen = gen;
      this.client = client;
      this.session = session;
    }

    /**
     * The remote connection of this channel is gone: the session goes offline, its messages stay
     * queued.
     */
    void end() {
      if (ended) {
        return;
      }
      ended = true;
      sessions.disconnected(session, this, false, -1);
    }

    private boolean live() {
      return !ended && client != null && owner.current(gen);
    }

    @Override
    public int sendWindow() {
      return endpoint.maxInflightMessages();
    }

    @Override
    public boolean tooLargeForClient(PublishedMessage message, int qos, int[] subscriptionIds) {
      return false; // the remote's Maximum Packet Size is the HiveMQ client's to keep; a refusal is
      // counted
    }

    @Override
    public Future<Void> sendPublish(
        PublishedMessage message,
        int qos,
        boolean retain,
        boolean dup,
        int packetId,
        int[] subscriptionIds) {
      if (!live()) {
        return Future
            .succeededFuture(); // unacknowledged, it stays in the session for the next connection
      }
      String target = flow.target().resolve(message.topic());
      if (target == null) {
        owner.dropUnresolved(message.topic());
        acknowledge(qos, packetId);
        return Future.succeededFuture();
      }
      if (loops.wouldReturn(message.publisherClientId(), endpoint, target)) {
        owner.dropped(BridgeMetrics.DROP_LOOP);
        acknowledge(qos, packetId);
        return Future.succeededFuture();
      }
      boolean keepRetain = endpoint.retain() == BridgeFile.Retain.KEEP && retain;
      client
          .publish(target, mapped(message, target), qos, keepRetain)
          .whenComplete(
              (v, error) -> {
                Throwable cause =
                    error instanceof CompletionException && error.getCause() != null
                        ? error.getCause()
                        : error;
                if (cause == null) {
                  owner.forwarded(System.currentTimeMillis() - message.createdAtMillis());
                  acknowledge(qos, packetId);
                } else if (cause instanceof RemoteClient.Refused) {
                  owner.dropped(BridgeMetrics.DROP_REFUSED_BY_REMOTE);
                  context.runOnContext(
                      x ->
                          owner.warn(
                              "message to remote topic '"
                                  + target
                                  + "' refused by the remote: "
                                  + cause.getMessage()));
                  acknowledge(qos, packetId);
                } else {
                  // the connection failed before the PUBACK: the message stays in the session and
                  // is sent again
                  context.runOnContext(x -> owner.lost(gen, cause));
                }
              });
      return Future.succeededFuture();
    }

    /** {@code message} with the response topic and CloudEvent attributes the dataflow gives it. */
    private PublishedMessage mapped(PublishedMessage message, String target) {
      String responseTopic = flow.responseTopic(message.responseTopic());
      List<PublishedMessage.UserProperty> properties =
          CloudEventAttributes.of(
              flow, message.userProperties(), target, message.id(), message.createdAtMillis());
      if (properties == message.userProperties()
          && Objects.equals(responseTopic, message.responseTopic())) {
        return message;
      }
      return new PublishedMessage(
          message.id(),
          message.topic(),
          message.payload(),
          message.qos(),
          message.retain(),
          message.publisherClientId(),
          message.createdAtMillis(),
          message.expiresAtMillis(),
          message.payloadFormat(),
          message.contentType(),
          responseTopic,
          message.correlationData(),
          properties);
    }

    private void acknowledge(int qos, int packetId) {
      if (qos > 0) {
        session.onContext(
            () -> {
              if (!ended) {
                session.acknowledged(packetId);
              }
            });
      }
    }

    @Override
    public void sendPubrel(int packetId) {
      // never called: the bridge subscribes at QoS 0 or 1, so the session sends nothing at QoS 2
    }

    @Override
    public void close(EndCause cause) {
      context.runOnContext(
          v -> {
            if (channel == this && cause == EndCause.SESSION_TAKEN_OVER) {
              // another connection took the bridge's session: another node runs this instance now
              // (the members changed); this node stops it, and starts it again should the members
              // say it runs here
              LOG.info(
                  "bridge dataflow {}: session {} taken over elsewhere; stopping here",
                  name,
                  localClientId);
              channel = null;
              ended = true;
              owner.stop();
            } else {
              ended = true;
            }
          });
    }
  }
}
