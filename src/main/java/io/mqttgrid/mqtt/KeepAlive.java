package io.mqttgrid.mqtt;

import io.mqttgrid.wire.ReasonCode;
import io.netty.channel.ChannelPipeline;
import io.vertx.core.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keep-alive of one connection once its CONNACK accepted it: 1.5 x the keep-alive in force
 * without a packet from the client ends it (MQTT-3.1.2-22 / 3.1.2-24). The keep-alive in force is
 * the client's, or the server's own when the client asked for none or for more than the cap and the
 * server announced its cap (Server Keep Alive). Its deadline is watched by the event loop's {@link
 * KeepAliveSweep}.
 *
 * <p>vertx-mqtt watches the client's keep-alive with an {@code IdleStateHandler} and a handler of
 * its own in the pipeline from the CONNECT on; at the CONNACK both leave and the sweep takes over
 * (they cost some 350 bytes of every idle connection). A lapsed client keep-alive closes the
 * connection as vertx-mqtt did, without a DISCONNECT; a lapsed Server Keep Alive sends DISCONNECT
 * 0x8D first.
 */
final class KeepAlive implements Handler<Void> {

  private static final Logger LOG = LoggerFactory.getLogger(KeepAlive.class);

  /** vertx-mqtt's names for its keep-alive handlers (MqttServerConnection, 5.1.1). */
  private static final String IDLE_HANDLER = "idle";

  private static final String KEEP_ALIVE_HANDLER = "keepAliveHandler";

  private final MqttConnection connection;
  private final KeepAliveSweep sweep;
  private final int maxKeepAlive;

  /** Null until the keep-alive is watched here. */
  private KeepAliveDeadline deadline;

  private boolean serverKeepAlive;

  // the sweep's links, used by it only
  KeepAlive previous;
  KeepAlive next;
  boolean inSweep;

  KeepAlive(MqttConnection connection, KeepAliveSweep sweep, int maxKeepAlive) {
    this.connection = connection;
    this.sweep = sweep;
    this.maxKeepAlive = maxKeepAlive;
  }

  /** Any packet from the client, a PINGREQ among them. */
  void touch() {
    if (deadline != null) {
      deadline.touch(System.nanoTime());
    }
  }

  /** A PINGREQ (vertx-mqtt answers it). */
  @Override
  public void handle(Void pingreq) {
    touch();
  }

  /**
   * After the CONNACK. {@code pipeline} is the socket's, null when it cannot be reached: then
   * vertx-mqtt keeps watching the client's keep-alive.
   */
  void start(boolean hasServerKeepAlive, int clientKeepAlive, ChannelPipeline pipeline) {
    serverKeepAlive = hasServerKeepAlive && KeepAliveDeadline.capped(clientKeepAlive, maxKeepAlive);
    int seconds = serverKeepAlive ? maxKeepAlive : clientKeepAlive;
    if (serverKeepAlive) {
      // watched here even where vertx-mqtt's handlers stay: they would watch only the client's
      // value, longer than the cap or none
      takeOverFromVertxMqtt(pipeline);
    } else if (clientKeepAlive == 0 || !takeOverFromVertxMqtt(pipeline)) {
      // none to watch, or vertx-mqtt keeps watching it
      return;
    }
    deadline = new KeepAliveDeadline(seconds, System.nanoTime());
    sweep.add(this);
  }

  private static boolean takeOverFromVertxMqtt(ChannelPipeline pipeline) {
    if (pipeline == null) {
      return false;
    }
    try {
      if (pipeline.get(IDLE_HANDLER) != null) {
        pipeline.remove(IDLE_HANDLER);
      }
      if (pipeline.get(KEEP_ALIVE_HANDLER) != null) {
        pipeline.remove(KEEP_ALIVE_HANDLER);
      }
      return true;
    } catch (RuntimeException closedMeanwhile) {
      // a pipeline whose channel closed in between: nothing left to watch
      return false;
    }
  }

  boolean lapsed(long nowNanos) {
    return deadline != null && deadline.passed(nowNanos);
  }

  /** The deadline passed: called by the sweep, which has let go of this keep-alive. */
  void lapse() {
    if (serverKeepAlive) {
      LOG.info(
          "client {}: no packet within 1.5 x Server Keep Alive ({} s), disconnecting",
          connection.clientId(),
          maxKeepAlive);
      connection.disconnect(ReasonCode.KEEP_ALIVE_TIMEOUT);
    } else {
      LOG.debug("client {}: no packet within 1.5 x its keep-alive, closing", connection.clientId());
      connection.close();
    }
  }

  void stop() {
    sweep.remove(this);
  }
}
