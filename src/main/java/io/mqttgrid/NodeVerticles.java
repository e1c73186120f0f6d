package io.mqttgrid;

import io.mqttgrid.bridge.BridgeApi;
import io.mqttgrid.bridge.BridgeFile;
import io.mqttgrid.bridge.Bridges;
import io.mqttgrid.cluster.NodeBusVerticle;
import io.mqttgrid.console.ConsoleRoutes;
import io.mqttgrid.http.HttpApiVerticle;
import io.mqttgrid.http.HttpConnectionGuard;
import io.mqttgrid.http.HttpServices;
import io.mqttgrid.http.ManagementApiVerticle;
import io.mqttgrid.mqtt.ConnectionAdmission;
import io.mqttgrid.mqtt.MqttServerVerticle;
import io.mqttgrid.mqtt.MqttServices;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys a node's verticles on its services (docs/architecture.md): the MQTT listeners, the node's
 * event-bus addresses, the bridges, the HTTP API and the management port; and tells the ports they
 * bound.
 */
final class NodeVerticles {

  /** The node's own logger: operators read these lines as the node's (the log names the class). */
  private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

  private final BrokerConfig config;
  private final Vertx vertx;
  private final NodeServices services;
  private final NodeReadiness readiness;

  private HttpApiVerticle http;
  private ManagementApiVerticle management;
  private Bridges bridges;

  NodeVerticles(BrokerConfig config, Vertx vertx, NodeServices services, NodeReadiness readiness) {
    this.config = config;
    this.vertx = vertx;
    this.services = services;
    this.readiness = readiness;
  }

  /** Completes when every verticle has started or failed to (a listener whose port is taken). */
  Future<?> deploy(MqttServices mqttServices) {
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
            services.registry());
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
            () -> new MqttServerVerticle(mqttServices, listeners),
            new DeploymentOptions().setInstances(instances));
    Future<String> nodeBus =
        vertx.deployVerticle(
            new NodeBusVerticle(
                config.nodeId, services.router(), services.sessions(), services.routeTable()));
    List<Future<?>> all = new ArrayList<>(List.of(mqtt, nodeBus));
    // always: the management API can add dataflows to a node started without a bridge file
    bridges =
        new Bridges(
            config.bridges != null ? config.bridges : BridgeFile.parse("{}", Path.of(".")),
            config.bridges != null ? Path.of(config.bridgeFile) : null,
            config.bridgeWatchSeconds * 1000L,
            mqttServices.publishes(),
            services.sessions(),
            services.registry(),
            services.membership(),
            config.bridgeReconnectInitialSeconds * 1000L,
            config.bridgeReconnectMaxSeconds * 1000L,
            services.bridgeEntries());
    // an unreachable remote does not hold the start up: the dataflows connect in the background
    all.add(vertx.deployVerticle(bridges));
    if (config.httpPort >= 0) {
      all.add(deployHttpApi(mqttServices));
    }
    if (config.managementPort >= 0) {
      all.add(vertx.deployVerticle(managementApi()));
    }
    // join, not all: a listener that fails (a port taken) must not start the stop while other
    // verticles are still starting; undeployed mid-start, they completed a promise twice (an ERROR
    // with a stack trace after the one-line reason)
    return Future.join(all);
  }

  /** The public HTTP API (Event Grid's HTTP publish API): one verticle per HTTP event loop. */
  private Future<String> deployHttpApi(MqttServices mqttServices) {
    HttpServices httpServices =
        new HttpServices(
            mqttServices.publishes(),
            services.retained(),
            services.bearerAuthenticator(),
            mqttServices.access()::permissionsFor,
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
              new HttpApiVerticle(
                  options, readiness::current, mqttServices.metrics(), httpServices);
          synchronized (this) {
            if (http == null) {
              http = v;
            }
          }
          return v;
        },
        new DeploymentOptions().setInstances(instances));
  }

  /** The management port: the namespace REST API, the bridges' API, metrics and the console. */
  private ManagementApiVerticle managementApi() {
    Supplier<Future<JsonObject>> bridgeState =
        () ->
            bridges == null
                ? Future.succeededFuture(
                    new JsonObject()
                        .put("file", null)
                        .put("fileError", null)
                        .put("runsHere", false)
                        .put("dataflows", new JsonArray()))
                : bridges.state();
    management =
        new ManagementApiVerticle(
            config.managementHost,
            config.managementPort,
            services.namespace(),
            config.namespaceName,
            new ManagementApiVerticle.AdminAccess(
                config.managementToken, config.managementAdminRole, services.bearerAuthenticator()),
            readiness::current,
            services.registry(),
            new HttpConnectionGuard(
                "management port", "management.max-connections", config.managementConnectionLimits),
            bridgeState,
            new BridgeApi(bridges));
    management.console(
        new ConsoleRoutes(
            new ConsoleRoutes.Services(
                config.nodeId,
                services.access(),
                services.namespace()::current,
                config.namespaceLimits,
                services.connections(),
                services.registry(),
                services.membership()::members,
                readiness::current,
                config.websocketPort,
                services.retained(),
                services.sessions(),
                readiness::splitBrain,
                bridgeState)));
    return management;
  }

  /** The bridges; null until they deploy. */
  Bridges bridges() {
    return bridges;
  }

  synchronized int httpPort() {
    return http == null ? -1 : http.actualPort();
  }

  /** The HTTPS port of the HTTP API, -1 when it is off. */
  synchronized int httpTlsPort() {
    return http == null ? -1 : http.actualTlsPort();
  }

  int managementPort() {
    return management == null ? -1 : management.actualPort();
  }
}
