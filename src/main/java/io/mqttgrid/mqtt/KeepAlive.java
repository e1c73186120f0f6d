package io.mqttgrid.mqtt;

import io.mqttgrid.wire.ReasonCode;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keep-alive of one connection. vertx-mqtt closes after 1.5 x the client's keep-alive; when the
 * client asked for none or for more than the cap, the server announced its own (Server Keep Alive)
 * and enforces it here (MQTT-3.1.2-22), since vertx-mqtt knows only the client's value.
 */
final class KeepAlive {

  private static final Logger LOG = LoggerFactory.getLogger(KeepAlive.class);

  private final MqttConnection connection;
  private final Vertx vertx;
  private final int maxKeepAlive;
  private final KeepAliveDeadline deadline;
  private long timer = -1;

  KeepAlive(MqttConnection connection, Vertx vertx, int maxKeepAlive) {
    this.connection = connection;
    this.vertx = vertx;
    this.maxKeepAlive = maxKeepAlive;
    this.deadline = new KeepAliveDeadline(maxKeepAlive, System.nanoTime());
  }

  /** Any packet from the client, a PINGREQ among them. */
  void touch() {
    deadline.touch(System.nanoTime());
  }

  /** After the CONNACK: watches the deadline when the server's keep-alive is the one in force. */
  void start(boolean hasServerKeepAlive, int clientKeepAlive) {
    if (!hasServerKeepAlive || !KeepAliveDeadline.capped(clientKeepAlive, maxKeepAlive)) {
      return;
    }
    timer =
        vertx.setPeriodic(
            KeepAliveDeadline.checkPeriodMillis(maxKeepAlive),
            t -> {
              if (deadline.passed(System.nanoTime())) {
                LOG.info(
                    "client {}: no packet within 1.5 x Server Keep Alive ({} s), disconnecting",
                    connection.clientId(),
                    maxKeepAlive);
                connection.disconnect(ReasonCode.KEEP_ALIVE_TIMEOUT);
              }
            });
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
