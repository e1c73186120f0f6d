package io.mqttgrid;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mqttgrid.access.NamespaceAccess;
import io.mqttgrid.access.NamespaceFile;
import io.mqttgrid.access.NamespaceStore;
import io.mqttgrid.auth.AnonymousAuthenticator;
import io.mqttgrid.auth.BearerTokenAuthenticator;
import io.mqttgrid.auth.NamespaceAuthenticator;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.cluster.EventBusRemoteDelivery;
import io.mqttgrid.cluster.EventBusRemoteSessions;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import io.mqttgrid.cluster.NodeBusVerticle;
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
import io.mqttgrid.http.HealthRoutes;
import io.mqttgrid.http.HttpApiVerticle;
import io.mqttgrid.http.HttpConnectionGuard;
import io.mqttgrid.http.HttpServices;
import io.mqttgrid.http.ManagementApiVerticle;
import io.mqttgrid.http.NodeMetrics;
import io.mqttgrid.mqtt.ConnectionAdmission;
import io.mqttgrid.mqtt.ConnectionRegistry;
import io.mqttgrid.mqtt.MqttMetrics;
import io.mqttgrid.mqtt.MqttServerVerticle;
import io.mqttgrid.mqtt.MqttServices;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishService;
import io.mqttgrid.session.Session;
import io.mqttgrid.session.SessionEvents;
import io.mqttgrid.session.SessionLimits;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MQTT Grid node: a clustered Vert.x with an embedded Hazelcast member, the stores on it, and
 * the verticles (docs/architecture.md). A single node is a one-member cluster; there is no other
 * mode.
 *
 * <p>The composition root, and longer than the ~500 lines other classes keep to for that reason: it
 * builds every store, service and verticle in start order and stops them in the reverse order, and
 * reads best as one file top to bottom.
 */
public final class Broker {

  private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

  private final BrokerConfig config;
  private Vertx vertx;
  private HazelcastInstance hazelcast;
  private SessionManager sessions;
  private HazelcastRetainedStore retained;
  private WebhookRouting routing;
  private ClientLifecycleEvents lifecycle;
  private final List<MqttServerVerticle> mqttVerticles = new ArrayList<>();
  private HttpApiVerticle http;
  private volatile boolean ready;
  private PrometheusMeterRegistry registry;
  private MessageRouter router;
  private HazelcastRouteTable routeTable;
  private ClusterMembership membership;
  private EventBusRemoteDelivery remoteDelivery;
  private NamespaceStore namespace;
  private NamespaceFile namespaceFile;
  private NamespaceAccess access;
  private ManagementApiVerticle management;

  /** Checks bearer tokens of the HTTP APIs against the namespace's JWT issuers. */
  private BearerTokenAuthenticator bearerAuthenticator;

  private final ConnectionRegistry connections = new ConnectionRegistry();
  private io.mqttgrid.persistence.StateDatabase stateDatabase;
  private io.mqttgrid.persistence.DatabaseLease lease;
  private io.mqttgrid.hazelcast.PersistentMaps persistentMaps;

  /** Persistent sessions this node brought back from the state database at start. */
  private int restoredSessions;

  private io.mqttgrid.bridge.Bridges bridges;

  public Broker(BrokerConfig config) {
    this.config = config;
  }

  /** Starts the node; the future completes when every listener is bound. */
  public Future<Broker> start() {
    Config hz = HazelcastConfigFactory.create(config);
    try {
      openStateDatabase(hz);
    } catch (io.mqttgrid.persistence.PersistenceException e) {
      closeStateDatabase();
      return Future.failedFuture(e);
    }
    // the node id travels with the member, so survivors know whose routes and sessions to take care
    // of
    hz.getMemberAttributeConfig().setAttribute(ClusterMembership.NODE_ATTRIBUTE, config.nodeId);
    HazelcastClusterManager clusterManager = new HazelcastClusterManager(hz);
    EventBusOptions bus = new EventBusOptions().setPort(config.clusterEventBusPort);
    // Unset, Vert.x binds and announces the address the Hazelcast member uses (cluster.interface or
    // the one Hazelcast picked), which other nodes can reach; the MQTT bind address (0.0.0.0) would
    // not do.
    if (!config.clusterEventBusHost.isBlank()) {
      bus.setHost(config.clusterEventBusHost);
    }
    VertxOptions options = new VertxOptions().setEventBusOptions(bus);
    return Vertx.builder()
        .with(options)
        .withClusterManager(clusterManager)
        .buildClustered()
        .compose(
            v -> {
              this.vertx = v;
              this.hazelcast = clusterManager.getHazelcastInstance();
              return v.executeBlocking(this::buildServices);
            })
        .compose(services -> loadNamespace().map(services))
        .compose(services -> restoreSessions().map(services))
        .compose(this::deploy)
        .map(
            x -> {
              ready = true;
              logStarted();
              // now that the routing has its settings and the node is up: batches that nodes no
              // longer members were retrying (kept by the state database across a restart)
              routing.takeOverOrphans();
              return this;
            });
  }

  /**
   * With persistence on: the database opened and migrated, this cluster's lease taken (or the start
   * refused), and the database put behind the maps it keeps, before the member starts. Blocking, on
   * the starting thread: no event loop runs yet.
   */
  private void openStateDatabase(Config hz) {
    if (config.persistence == null) {
      return;
    }
    stateDatabase = io.mqttgrid.persistence.StateDatabase.open(config.persistence);
    lease =
        new io.mqttgrid.persistence.DatabaseLease(
            stateDatabase, config.clusterName, config.nodeId, config.persistence.leaseTimeout());
    lease.acquire();
    lease.startRenewing();
    persistentMaps = io.mqttgrid.hazelcast.PersistentMaps.attach(hz, stateDatabase);
  }

  /**
   * With persistence on, the first node of a cluster (the oldest member when it starts: the only
   * one, or one of those starting together) brings back the persistent sessions the database holds,
   * before its listeners open and it reports ready. A node joining a running cluster finds them
   * there already.
   */
  private Future<Void> restoreSessions() {
    if (config.persistence == null
        || !hazelcast.getCluster().getMembers().iterator().next().localMember()) {
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    vertx.runOnContext(
        v ->
            sessions
                .restoreStored()
                .onSuccess(n -> restoredSessions = n)
                .<Void>mapEmpty()
                .onComplete(done));
    return done.future();
  }

  private void closeStateDatabase() {
    if (persistentMaps != null) {
      persistentMaps.close();
    }
    if (lease != null) {
      lease.close();
    }
    if (stateDatabase != null) {
      stateDatabase.close();
    }
  }

  private MqttServices buildServices() {
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
   * The namespace model before the first client: the declarative file (when configured) is applied
   * and the node's snapshot built from what the cluster holds.
   */
  private Future<?> loadNamespace() {
    Future<Void> file = Future.succeededFuture();
    if (!config.namespaceFile.isBlank()) {
      namespaceFile =
          new NamespaceFile(vertx, java.nio.file.Path.of(config.namespaceFile), namespace);
      file = namespaceFile.applyAtStart(config.namespaceWatchSeconds * 1000L);
    }
    return file.compose(v -> namespace.start())
        .onSuccess(
            model ->
                LOG.info(
                    "namespace model: {} clients, {} client groups, {} topic spaces, {} permission bindings, {} CA certificates",
                    model.clients().size(),
                    model.clientGroups().size(),
                    model.topicSpaces().size(),
                    model.permissionBindings().size(),
                    model.caCertificates().size()));
  }

  private Future<?> deploy(MqttServices services) {
    int instances =
        config.mqttInstances > 0
            ? config.mqttInstances
            : Math.max(1, Runtime.getRuntime().availableProcessors());
    boolean tls = !config.tlsCertFile.isBlank();
    int otherListeners =
        (config.httpPort >= 0 ? config.httpConnectionLimits.maxConnections() : 0)
            + (tls && config.httpTlsPort >= 0 ? config.httpConnectionLimits.maxConnections() : 0)
            + (config.managementPort >= 0 ? config.managementConnectionLimits.maxConnections() : 0);
    ConnectionAdmission admission =
        new ConnectionAdmission(
            new ConnectionAdmission.Limits(
                config.mqttMaxConnections,
                config.mqttMaxUnauthenticated,
                config.mqttMaxUnauthenticatedPerAddress,
                config.mqttConnectRatePerAddress),
            otherListeners,
            registry);
    LOG.info(
        "MQTT connections capped at {}{}",
        admission.maxConnections(),
        config.mqttMaxConnections > 0
            ? ""
            : " (open-file limit less the HTTP and management caps and a reserve of "
                + ConnectionAdmission.DESCRIPTOR_RESERVE
                + "; mqtt.max-connections)");
    MqttServerVerticle.Listeners listeners =
        new MqttServerVerticle.Listeners(
            config.mqttHost,
            config.mqttPort,
            config.websocketPort,
            config.tlsPort,
            config.wssPort,
            config.tlsCertFile,
            config.tlsKeyFile,
            config.connectTimeoutSeconds,
            admission,
            config.mqttMaxConnectSize);
    Future<String> mqtt =
        vertx.deployVerticle(
            () -> {
              MqttServerVerticle v = new MqttServerVerticle(services, listeners);
              synchronized (mqttVerticles) {
                mqttVerticles.add(v);
              }
              return v;
            },
            new DeploymentOptions().setInstances(instances));
    Future<String> nodeBus =
        vertx.deployVerticle(new NodeBusVerticle(config.nodeId, router, sessions, routeTable));
    List<Future<?>> all = new ArrayList<>(List.of(mqtt, nodeBus));
    // always: the management API can add dataflows to a node started without a bridge file
    bridges =
        new io.mqttgrid.bridge.Bridges(
            config.bridges != null
                ? config.bridges
                : io.mqttgrid.bridge.BridgeFile.parse("{}", java.nio.file.Path.of(".")),
            config.bridges != null ? java.nio.file.Path.of(config.bridgeFile) : null,
            config.bridgeWatchSeconds * 1000L,
            services.publishes(),
            sessions,
            registry,
            membership,
            config.bridgeReconnectInitialSeconds * 1000L,
            config.bridgeReconnectMaxSeconds * 1000L,
            new HazelcastNamespaceEntries(vertx, hazelcast, HazelcastNamespaceEntries.BRIDGE_MAP));
    // an unreachable remote does not hold the start up: the dataflows connect in the background
    all.add(vertx.deployVerticle(bridges));
    if (config.httpPort >= 0) {
      all.add(deployHttpApi(services));
    }
    if (config.managementPort >= 0) {
      java.util.function.Supplier<Future<io.vertx.core.json.JsonObject>> bridgeState =
          () ->
              bridges == null
                  ? Future.succeededFuture(
                      new io.vertx.core.json.JsonObject()
                          .put("file", null)
                          .put("fileError", null)
                          .put("runsHere", false)
                          .put("dataflows", new io.vertx.core.json.JsonArray()))
                  : bridges.state();
      management =
          new ManagementApiVerticle(
              config.managementHost,
              config.managementPort,
              namespace,
              config.namespaceName,
              new ManagementApiVerticle.AdminAccess(
                  config.managementToken, config.managementAdminRole, bearerAuthenticator),
              this::readiness,
              registry,
              new HttpConnectionGuard(
                  "management port",
                  "management.max-connections",
                  config.managementConnectionLimits),
              bridgeState,
              new io.mqttgrid.bridge.BridgeApi(bridges));
      management.console(
          new io.mqttgrid.console.ConsoleRoutes(
              new io.mqttgrid.console.ConsoleRoutes.Services(
                  config.nodeId,
                  access,
                  namespace::current,
                  config.namespaceLimits,
                  connections,
                  registry,
                  membership::members,
                  this::readiness,
                  config.websocketPort,
                  retained,
                  sessions,
                  () ->
                      new io.mqttgrid.console.ConsoleRoutes.SplitBrain(
                          config.splitBrainProtection,
                          config.splitBrainMinimumMembers,
                          hazelcast != null
                              && hazelcast.getLifecycleService().isRunning()
                              && hasMinimumMembers()),
                  bridgeState)));
      all.add(vertx.deployVerticle(management));
    }
    // join, not all: a listener that fails (a port taken) must not start the stop while other
    // verticles are still starting; undeployed mid-start, they completed a promise twice (an ERROR
    // with a stack trace after the one-line reason)
    return Future.join(all);
  }

  /** The public HTTP API (Event Grid's HTTP publish API): one verticle per HTTP event loop. */
  private Future<String> deployHttpApi(MqttServices services) {
    HttpServices httpServices =
        new HttpServices(
            services.publishes(),
            retained,
            bearerAuthenticator,
            services.access()::permissionsFor,
            config.httpPublishRate,
            config.httpPublishTimeoutMillis);
    HttpApiVerticle.Options options =
        new HttpApiVerticle.Options(
            config.httpHost,
            config.httpPort,
            config.httpTlsPort,
            config.tlsCertFile,
            config.tlsKeyFile,
            new HttpConnectionGuard(
                "HTTP port", "http.max-connections", config.httpConnectionLimits),
            new HttpConnectionGuard(
                "HTTPS port", "http.max-connections", config.httpConnectionLimits));
    int instances =
        config.httpInstances > 0
            ? config.httpInstances
            : Math.max(1, Runtime.getRuntime().availableProcessors());
    return vertx.deployVerticle(
        () -> {
          HttpApiVerticle v =
              new HttpApiVerticle(options, this::readiness, services.metrics(), httpServices);
          synchronized (this) {
            if (http == null) {
              http = v;
            }
          }
          return v;
        },
        new DeploymentOptions().setInstances(instances));
  }

  /**
   * Ready: started, the Hazelcast member running, and (with split-brain protection on) enough
   * members seen that the broker maps accept writes; a load balancer sends clients only to ready
   * nodes.
   */
  private HealthRoutes.Readiness readiness() {
    int members = 0;
    boolean clusterOk = false;
    try {
      if (hazelcast != null && hazelcast.getLifecycleService().isRunning()) {
        members = hazelcast.getCluster().getMembers().size();
        clusterOk = hasMinimumMembers();
      }
    } catch (RuntimeException e) {
      // shutting down
      clusterOk = false;
    }
    // a node whose cluster lost the database's lease writes nothing more: take it out of service. A
    // failing database is only reported: everything but retained writes and model changes still
    // works
    String database = null;
    boolean fenced = false;
    if (stateDatabase != null) {
      fenced = stateDatabase.fencedReason() != null;
      database = fenced ? "fenced" : stateDatabase.answering() ? "ok" : "failing";
    }
    return new HealthRoutes.Readiness(
        ready && clusterOk && !fenced,
        config.nodeId,
        members,
        database,
        routing == null ? null : routing.state(),
        bridges == null ? null : bridges.readinessDetails());
  }

  private boolean hasMinimumMembers() {
    if (!config.splitBrainProtection) {
      return true;
    }
    try {
      return hazelcast
          .getSplitBrainProtectionService()
          .getSplitBrainProtection(HazelcastConfigFactory.SPLIT_BRAIN_PROTECTION)
          .hasMinimumSize();
    } catch (IllegalArgumentException e) {
      // the Hazelcast file defines no such protection (local mode, an operator's file): no map
      // refuses either
      return true;
    }
  }

  /** Members of the Hazelcast cluster this node sees, itself included; 0 when not running. */
  public int clusterMembers() {
    return readiness().members();
  }

  private void logStarted() {
    LOG.info(
        "MQTT Grid node {} started: MQTT tcp {}:{}, websocket {} (path /mqtt){}, http {}, cluster {}",
        config.nodeId,
        config.mqttHost,
        config.mqttPort,
        portText(config.websocketPort),
        config.tlsEnabled()
            ? ", tls " + config.tlsPort + ", wss " + config.wssPort
            : ", tls off (no certificate)",
        portText(config.httpPort) + ", management " + portText(config.managementPort),
        config.clusterMode + " (" + clusterMembers() + " members)");
    if (config.persistence == null) {
      LOG.info(
          "persistence off: namespace resources, retained messages and sessions live in memory only"
              + " and are lost when every node stops (persistence.store)");
    } else {
      LOG.info(
          "persistence: {} (namespace resources {}, retained messages {}, sessions brought back {};"
              + " session queues {}, the rest write-through)",
          config.persistence.describe(),
          namespace.current().clients().size()
              + namespace.current().clientGroups().size()
              + namespace.current().topicSpaces().size()
              + namespace.current().permissionBindings().size(),
          retained.size(),
          restoredSessions,
          config.persistence.sessionQueueWrite());
    }
    switch (config.anonymous) {
      case LOOPBACK_ONLY ->
          LOG.warn(
              "DEVELOPMENT MODE: anonymous MQTT clients are accepted from loopback "
                  + "(127.0.0.0/8, ::1) without credentials; clients from other addresses are refused. Set "
                  + "auth.anonymous=false (MQTTGRID_AUTH_ANONYMOUS=false) for production.");
      case ALLOW ->
          LOG.warn(
              "INSECURE: anonymous MQTT clients are accepted from ANY address (auth.anonymous=true)");
      default -> {}
    }
  }

  private static String portText(int port) {
    return port < 0 ? "off" : String.valueOf(port);
  }

  /**
   * Graceful stop: listeners close, clients get DISCONNECT 0x8B (with Server Reference when
   * configured), persistent sessions stay in the store, then the node leaves the cluster.
   */
  public Future<Void> stop() {
    if (vertx == null) {
      closeStateDatabase();
      return Future.succeededFuture();
    }
    ready = false;
    LOG.info("MQTT Grid node {} stopping", config.nodeId);
    if (namespaceFile != null) {
      namespaceFile.stop();
    }
    // the bridges first: their remote connections close and their local sessions go offline like
    // any client's
    Future<Void> bridgesStopped =
        bridges == null
            ? Future.succeededFuture()
            : bridges
                .stopAll()
                .timeout(config.shutdownGraceSeconds, TimeUnit.SECONDS)
                .recover(e -> Future.succeededFuture());
    Future<Void> drained =
        sessions == null
            ? Future.succeededFuture()
            : bridgesStopped
                .compose(x -> sessions.shutdown())
                .timeout(config.shutdownGraceSeconds, TimeUnit.SECONDS)
                .recover(e -> Future.succeededFuture());
    // listeners close only after every client got its DISCONNECT: closing a server closes its
    // sockets
    return drained
        // what routing holds goes out first, the Disconnected events of the clients that were just
        // told to go among them (each is offered before its connection leaves the registry)
        .compose(
            v ->
                routing == null
                    ? Future.<Void>succeededFuture()
                    : routing.drained(
                        config.shutdownGraceSeconds * 1000L, () -> connections.size() == 0))
        .compose(
            v -> {
              List<Future<?>> undeploy = new ArrayList<>();
              for (String id : vertx.deploymentIDs()) {
                undeploy.add(vertx.undeploy(id).recover(e -> Future.succeededFuture()));
              }
              return Future.all(undeploy);
            })
        .compose(
            v -> {
              if (retained != null) {
                retained.close();
              }
              if (membership != null) {
                membership.stop();
              }
              if (routeTable != null) {
                routeTable.close();
              }
              return vertx.close();
            })
        .onComplete(ar -> closeStateDatabase())
        .onComplete(ar -> LOG.info("MQTT Grid node {} stopped", config.nodeId));
  }

  public BrokerConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public HazelcastInstance hazelcast() {
    return hazelcast;
  }

  /** The namespace model store of this node. */
  public NamespaceStore namespace() {
    return namespace;
  }

  /** The bridges of bridge.file; null without one. */
  public io.mqttgrid.bridge.Bridges bridges() {
    return bridges;
  }

  public SessionManager sessions() {
    return sessions;
  }

  public synchronized int httpPort() {
    return http == null ? -1 : http.actualPort();
  }

  public int managementPort() {
    return management == null ? -1 : management.actualPort();
  }

  /** The HTTPS port of the HTTP API, -1 when it is off. */
  public synchronized int httpTlsPort() {
    return http == null ? -1 : http.actualTlsPort();
  }

  /** Retained messages the cluster holds, as this node's index counts them. */
  public int retainedCount() {
    return retained == null ? 0 : retained.size();
  }

  public boolean isReady() {
    return ready;
  }
}
