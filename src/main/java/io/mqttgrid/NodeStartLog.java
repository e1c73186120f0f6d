package io.mqttgrid;

import io.mqttgrid.access.NamespaceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lines a node logs once it is ready: what it listens on, what it keeps and where, and the
 * warnings an operator must not miss (anonymous clients accepted).
 */
final class NodeStartLog {

  /** The node's own logger: operators read these lines as the node's (the log names the class). */
  private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

  private NodeStartLog() {}

  static void write(
      BrokerConfig config,
      int clusterMembers,
      NamespaceStore namespace,
      int retainedMessages,
      int restoredSessions) {
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
        config.clusterMode + " (" + clusterMembers + " members)");
    if (config.persistence == null) {
      LOG.info(
          "persistence off: namespace resources, retained messages and sessions live in memory only"
              + " and are lost when every node stops (persistence.store)");
    } else {
      LOG.info(
          "persistence: {} (namespace resources {}, retained messages {}, sessions brought back {};"
              + " session records {}, session queues {}, the rest write-through)",
          config.persistence.describe(),
          namespace.current().clients().size()
              + namespace.current().clientGroups().size()
              + namespace.current().topicSpaces().size()
              + namespace.current().permissionBindings().size(),
          retainedMessages,
          restoredSessions,
          config.persistence.sessionRecordWrite(),
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
}
