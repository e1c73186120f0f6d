package io.mqttgrid;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mqttgrid.access.NamespaceAccess;
import io.mqttgrid.access.NamespaceStore;
import io.mqttgrid.auth.AnonymousAuthenticator;
import io.mqttgrid.auth.BearerTokenAuthenticator;
import io.mqttgrid.auth.NamespaceAuthenticator;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.cluster.EventBusRemoteDelivery;
import io.mqttgrid.cluster.EventBusRemoteSessions;
import io.mqttgrid.events.ClientLifecycleEvents;
import io.mqttgrid.events.ClientRegistryEvents;
import io.mqttgrid.events.WebhookRouting;
import io.mqttgrid.hazelcast.HazelcastMetrics;
import io.mqttgrid.hazelcast.HazelcastNamespaceEntries;
import io.mqttgrid.hazelcast.HazelcastPendingEvents;
import io.mqttgrid.hazelcast.HazelcastRetainedStore;
import io.mqttgrid.hazelcast.HazelcastRouteTable;
import io.mqttgrid.hazelcast.HazelcastSessionOwnership;
import io.mqttgrid.hazelcast.HazelcastSessionSequence;
import io.mqttgrid.hazelcast.HazelcastSessionStore;
import io.mqttgrid.hazelcast.NamespaceEntryListener;
import io.mqttgrid.http.NodeMetrics;
import io.mqttgrid.mqtt.ConnectionRegistry;
import io.mqttgrid.mqtt.MqttMetrics;
import io.mqttgrid.mqtt.MqttServices;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishService;
import io.mqttgrid.session.Session;
import io.mqttgrid.session.SessionEvents;
import io.mqttgrid.session.SessionLimits;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.Vertx;

/**
 * The services of one node (stores, router, session manager, routing, namespace, authenticator),
 * built once before any verticle deploys and shared by the verticle instances. Part of the node's
 * wiring with {@link Broker}: it picks the Hazelcast implementation of every store.
 *
 * <p>The fields are set one by one as {@link #build()} goes, so that a stop after a start that
 * failed half-way closes what was built.
 */
final class NodeServices {

  private final BrokerConfig config;
  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final ConnectionRegistry connections;

  private PrometheusMeterRegistry registry;
  private HazelcastRetainedStore retained;
  private MessageRouter router;
  private HazelcastRouteTable routeTable;
  private EventBusRemoteDelivery remoteDelivery;
  private SessionManager sessions;
  private WebhookRouting routing;
  private ClientLifecycleEvents lifecycle;
  private ClusterMembership membership;
  private NamespaceStore namespace;
  private NamespaceAccess access;

  /** Checks bearer tokens of the HTTP APIs against the namespace's JWT issuers. */
  private BearerTokenAuthenticator bearerAuthenticator;

  NodeServices(
      BrokerConfig config,
      Vertx vertx,
      HazelcastInstance hazelcast,
      ConnectionRegistry connections) {
    this.config = config;
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.connections = connections;
  }

  /**
   * Builds them all, in this order; blocking (Hazelcast's synchronous API), off the event loops.
   */
  MqttServices build() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MqttMetrics metrics = new MqttMetrics(registry);
    var jvmGc = NodeMetrics.bind(registry);
    // the GC listener goes with the node, however the member stops
    hazelcast
        .getLifecycleService()
        .addLifecycleListener(
            event -> {
              if (event.getState() == LifecycleEvent.LifecycleState.SHUTDOWN) {
                jvmGc.close();
              }
            });
    HazelcastMetrics.bind(registry, hazelcast);
    retained = new HazelcastRetainedStore(vertx, hazelcast);
    MessageRouter router = new MessageRouter();
    routeTable =
        new HazelcastRouteTable(vertx, hazelcast, config.nodeId, config.routeAnnounceTimeoutMillis);
    EventBusRemoteDelivery remoteDelivery =
        new EventBusRemoteDelivery(vertx, config.remoteDeliveryTimeoutMillis);
    router.cluster(routeTable, remoteDelivery);
    this.remoteDelivery = remoteDelivery;
    this.router = router;
    PublishService publisher = new PublishService(config.nodeId, router, retained::put);
    HazelcastSessionStore store = new HazelcastSessionStore(vertx, hazelcast);
    SessionLimits sessionLimits =
        new SessionLimits(
            config.maxQueuedMessages,
            config.maxQueuedBytes,
            config.maxPendingMessages,
            config.maxPendingBytes,
            config.overflowPolicy == BrokerConfig.OverflowPolicy.TERMINATE_SESSION,
            config.maxOutboundBuffered,
            config.maxInflightBytes,
            config.maxOutboundBufferedBytes,
            config.holdAcksAbovePendingPercent == 0
                ? 0
                : (int)
                    Math.max(
                        1,
                        (long) config.maxPendingMessages
                            * config.holdAcksAbovePendingPercent
                            / 100),
            config.holdAcksMaxMillis,
            config.maxQueuedConnectedMessages,
            config.maxQueuedConnectedBytes);
    sessions =
        new SessionManager(
            vertx,
            config.nodeId,
            store,
            router,
            sessionLimits,
            new SessionEvents() {
              @Override
              public void dropped(String clientId, String reason) {
                metrics.dropped(reason);
              }

              @Override
              public void overflowed(Session session) {
                metrics.sessionDropped(MqttMetrics.DROP_SESSION_OVERFLOW);
              }

              @Override
              public void ended(String reason) {
                metrics.sessionDropped(reason);
              }
            });
    routing =
        new WebhookRouting(
            vertx,
            config.namespaceName,
            new WebhookRouting.Options(
                config.routingBufferEvents,
                config.routingMaxRequestsInFlight,
                config.routingRetryDelaysMillis,
                config.routingTimeoutMillis,
                config.routingTrustedCaFile,
                config.routingMaxDeliveryAttempts,
                config.routingEventTimeToLiveMillis,
                config.routingDeadLetterFile,
                config.routingValidateWebhooks,
                config.routingWebhookRequestRate,
                config.routingValidationCallbackBaseUrl),
            registry);
    // events waiting for a retry outlive their node: the oldest survivor sends them
    routing.pendingEvents(
        new HazelcastPendingEvents(hazelcast, config.nodeId, ClusterMembership.NODE_ATTRIBUTE),
        task ->
            vertx.executeBlocking(
                () -> {
                  task.run();
                  return null;
                },
                false));
    // life-cycle events go where routed messages go (docs/routing.md)
    HazelcastSessionSequence sequence =
        new HazelcastSessionSequence(hazelcast, ClusterMembership.NODE_ATTRIBUTE);
    lifecycle = new ClientLifecycleEvents(config.namespaceName, config.nodeId, sequence, routing);
    // the connections of a node that died are reported lost by the oldest survivor
    sequence.onNodeLost(
        task ->
            vertx.executeBlocking(
                () -> {
                  task.run();
                  return null;
                },
                false),
        c -> lifecycle.lost(c.authenticationName(), c.clientId(), c.sequenceNumber()));
    // every accepted message passes the pipeline, which tells routing; a will was judged with its
    // CONNECT and enters there too
    PublishPipeline publishes = new PublishPipeline(publisher, config.limits, routing);
    sessions.willPublisher(m -> publishes.publishAccepted(m, null));
    sessions.remoteSessions(
        new EventBusRemoteSessions(vertx, routeTable, config.sessionHandoverTimeoutMillis));
    SessionManager adopter = sessions;
    membership =
        new ClusterMembership(
            hazelcast,
            routeTable,
            vertx,
            adopter::adoptSessionsOf,
            this.remoteDelivery::nodeLeft,
            this.remoteDelivery::nodeJoined);
    membership.start();
    registry.gauge("mqttgrid.sessions", sessions, SessionManager::size);
    registry.gauge("mqttgrid.sessions.online", sessions, SessionManager::onlineCount);
    registry.gauge("mqttgrid.retained.messages", retained, HazelcastRetainedStore::size);
    // what slow subscribers make this node hold, by stage (session.max-pending-bytes,
    // max-inflight-bytes,
    // max-outbound-buffered-bytes bound each connection's share)
    registry.gauge(
        "mqttgrid.outbound.buffered.bytes",
        Tags.of("stage", "waiting"),
        sessions,
        SessionManager::outboundWaitingBytes);
    registry.gauge(
        "mqttgrid.outbound.buffered.bytes",
        Tags.of("stage", "inflight"),
        sessions,
        SessionManager::outboundInflightBytes);
    registry.gauge(
        "mqttgrid.outbound.buffered.bytes",
        Tags.of("stage", "socket"),
        sessions,
        SessionManager::outboundSocketBytes);
    namespace =
        new NamespaceStore(
            vertx,
            new HazelcastNamespaceEntries(vertx, hazelcast),
            config.namespaceLimits,
            query -> NamespaceAccess.queryProblem(query, config.namespaceAllowNot),
            NamespaceAccess::templateProblem);
    access =
        new NamespaceAccess(namespace.current(), namespace.version(), config.namespaceAllowNot);
    // registry changes become life-cycle events on the node owning each client's entry
    ClientRegistryEvents registryEvents =
        new ClientRegistryEvents(
            lifecycle,
            config.eventsCoalesceWindowMillis,
            (delay, task) -> vertx.setTimer(delay, t -> task.run()));
    NamespaceEntryListener.listenToOwnedEntries(hazelcast, registryEvents::changed);
    routing.update(namespace.current().settings().routing());
    namespace.onChange(
        (model, version) -> {
          access.update(model, version);
          routing.update(model.settings().routing());
          connections.namespaceChanged();
        });
    NamespaceAuthenticator authenticator =
        new NamespaceAuthenticator(
            namespace::current,
            vertx,
            new AnonymousAuthenticator(config.anonymous),
            config.jwtClockSkewSeconds);
    bearerAuthenticator = authenticator;
    return new MqttServices(
        config.limits,
        authenticator,
        sessions,
        publishes,
        retained,
        metrics,
        namespace::current,
        access,
        new HazelcastSessionOwnership(vertx, hazelcast),
        connections,
        lifecycle);
  }

  /**
   * Closes what the close of Vert.x does not: the listeners this node put on the member, and the
   * route table's timers.
   */
  void close() {
    if (retained != null) {
      retained.close();
    }
    if (membership != null) {
      membership.stop();
    }
    if (routeTable != null) {
      routeTable.close();
    }
  }

  /**
   * The map of the bridges' dataflows added through the management API; made when asked, as the
   * bridges deploy.
   */
  HazelcastNamespaceEntries bridgeEntries() {
    return new HazelcastNamespaceEntries(vertx, hazelcast, HazelcastNamespaceEntries.BRIDGE_MAP);
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  HazelcastRetainedStore retained() {
    return retained;
  }

  MessageRouter router() {
    return router;
  }

  HazelcastRouteTable routeTable() {
    return routeTable;
  }

  SessionManager sessions() {
    return sessions;
  }

  WebhookRouting routing() {
    return routing;
  }

  ClusterMembership membership() {
    return membership;
  }

  NamespaceStore namespace() {
    return namespace;
  }

  NamespaceAccess access() {
    return access;
  }

  BearerTokenAuthenticator bearerAuthenticator() {
    return bearerAuthenticator;
  }

  ConnectionRegistry connections() {
    return connections;
  }
}
