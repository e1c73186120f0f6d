package io.mqttgrid;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import io.mqttgrid.access.NamespaceFile;
import io.mqttgrid.access.NamespaceStore;
import io.mqttgrid.bridge.Bridges;
import io.mqttgrid.cluster.ClusterMembership;
import io.mqttgrid.cluster.HazelcastConfigFactory;
import io.mqttgrid.events.WebhookRouting;
import io.mqttgrid.hazelcast.PersistentMaps;
import io.mqttgrid.mqtt.ConnectionRegistry;
import io.mqttgrid.persistence.DatabaseLease;
import io.mqttgrid.persistence.PersistenceException;
import io.mqttgrid.persistence.StateDatabase;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
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
 * <p>The composition root: it starts the parts in order and stops them in the reverse order. Each
 * part is a class of its own beside it: {@link NodeServices} (the stores and services), {@link
 * NodeVerticles} (the listeners and other verticles), {@link NodeReadiness} and {@link
 * NodeStartLog}.
 */
public final class Broker {

  private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

  private final BrokerConfig config;
  private final NodeReadiness readiness = new NodeReadiness(this);
  private Vertx vertx;
  private HazelcastInstance hazelcast;
  private NodeServices services;
  private NodeVerticles verticles;
  private NamespaceFile namespaceFile;
  private volatile boolean ready;

  private final ConnectionRegistry connections = new ConnectionRegistry();
  private StateDatabase stateDatabase;
  private DatabaseLease lease;
  private PersistentMaps persistentMaps;

  /** Persistent sessions this node brought back from the state database at start. */
  private int restoredSessions;

  public Broker(BrokerConfig config) {
    this.config = config;
  }

  /** Starts the node; the future completes when every listener is bound. */
  public Future<Broker> start() {
    Config hz = HazelcastConfigFactory.create(config);
    try {
      openStateDatabase(hz);
    } catch (PersistenceException e) {
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
              services = new NodeServices(config, v, hazelcast, connections);
              return v.executeBlocking(services::build);
            })
        .compose(mqttServices -> loadNamespace().map(mqttServices))
        .compose(mqttServices -> restoreSessions().map(mqttServices))
        .compose(
            mqttServices -> {
              verticles = new NodeVerticles(config, vertx, services, readiness);
              return verticles.deploy(mqttServices);
            })
        .map(
            x -> {
              ready = true;
              NodeStartLog.write(
                  config,
                  clusterMembers(),
                  services.namespace(),
                  services.retained().size(),
                  restoredSessions);
              // now that the routing has its settings and the node is up: batches that nodes no
              // longer members were retrying (kept by the state database across a restart)
              services.routing().takeOverOrphans();
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
    stateDatabase = StateDatabase.open(config.persistence);
    lease =
        new DatabaseLease(
            stateDatabase, config.clusterName, config.nodeId, config.persistence.leaseTimeout());
    lease.acquire();
    lease.startRenewing();
    persistentMaps = PersistentMaps.attach(hz, stateDatabase);
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
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(
        v ->
            services
                .sessions()
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

  /**
   * The namespace model before the first client: the declarative file (when configured) is applied
   * and the node's snapshot built from what the cluster holds.
   */
  private Future<?> loadNamespace() {
    Future<Void> file = Future.succeededFuture();
    if (!config.namespaceFile.isBlank()) {
      namespaceFile = new NamespaceFile(vertx, Path.of(config.namespaceFile), services.namespace());
      file = namespaceFile.applyAtStart(config.namespaceWatchSeconds * 1000L);
    }
    return file.compose(v -> services.namespace().start())
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

  /** Members of the Hazelcast cluster this node sees, itself included; 0 when not running. */
  public int clusterMembers() {
    return readiness.current().members();
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
    Bridges bridges = bridges();
    SessionManager sessions = sessions();
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
            v -> {
              WebhookRouting routing = routing();
              return routing == null
                  ? Future.<Void>succeededFuture()
                  : routing.drained(
                      config.shutdownGraceSeconds * 1000L, () -> connections.size() == 0);
            })
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
              if (services != null) {
                services.close();
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
    return services == null ? null : services.namespace();
  }

  /** The bridges of bridge.file; null without one. */
  public Bridges bridges() {
    return verticles == null ? null : verticles.bridges();
  }

  public SessionManager sessions() {
    return services == null ? null : services.sessions();
  }

  public int httpPort() {
    return verticles == null ? -1 : verticles.httpPort();
  }

  public int managementPort() {
    return verticles == null ? -1 : verticles.managementPort();
  }

  /** The HTTPS port of the HTTP API, -1 when it is off. */
  public int httpTlsPort() {
    return verticles == null ? -1 : verticles.httpTlsPort();
  }

  /** Retained messages the cluster holds, as this node's index counts them. */
  public int retainedCount() {
    return services == null || services.retained() == null ? 0 : services.retained().size();
  }

  public boolean isReady() {
    return ready;
  }

  /** The state database; null with persistence off. */
  StateDatabase stateDatabase() {
    return stateDatabase;
  }

  /** Where the node's events go; null until its services are built. */
  WebhookRouting routing() {
    return services == null ? null : services.routing();
  }
}
