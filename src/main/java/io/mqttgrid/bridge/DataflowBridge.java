package io.mqttgrid.bridge;

import io.mqttgrid.access.Permissions;
import io.mqttgrid.bridge.BridgeFile.Dataflow;
import io.mqttgrid.bridge.BridgeFile.Direction;
import io.mqttgrid.bridge.BridgeFile.Endpoint;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.publish.PublishSource;
import io.mqttgrid.session.SessionManager;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One dataflow of the bridge, running: its connection to the remote broker, and for a
 * local-to-remote dataflow its session at this broker.
 *
 * <p>Nothing is acknowledged to a source before its target acknowledged it (QoS 1 end to end):
 *
 * <ul>
 *   <li>remote-to-local: a message from the remote goes through the {@link PublishPipeline} like
 *       any publish, and the remote gets its PUBACK only when the local publish completed, that is
 *       when every matching persistent session (and the retained store) holds it. Until then the
 *       remote keeps it in the bridge's session there.
 *   <li>local-to-remote: the bridge is a persistent session of this broker ({@code
 *       $bridge/<dataflow>}), subscribed to the dataflow's sources, whose "connection" is the
 *       remote client ({@link LocalToRemote}). A message leaves the session's queue only when the
 *       remote's PUBACK arrives; while the remote is away the session is offline and its queue
 *       fills in the session store, within the session limits, and survives this node like any
 *       persistent session.
 * </ul>
 *
 * The remote session is persistent too (Clean Start 0, the endpoint's session expiry) under a
 * stable client id, so that what the remote queued for a remote-to-local dataflow waits for the
 * bridge.
 *
 * <p>Everything here runs on one Vert.x context (the bridges' verticle); the remote client's
 * callbacks are moved onto it. Each connection to the remote has a generation: whatever an older
 * connection reports is ignored (its messages are resent from the sessions on either side).
 */
final class DataflowBridge {

  private static final Logger LOG = LoggerFactory.getLogger(DataflowBridge.class);
  private static final long WARNING_INTERVAL_MILLIS = 60_000;

  enum State {
    STOPPED,
    CONNECTING,
    CONNECTED,
    BACKING_OFF
  }

  private final Vertx vertx;
  private final Context context;
  private final Dataflow flow;
  private final int instance;
  private final String name;
  private final String remoteClientId;
  private final String localClientId;
  private final Endpoint endpoint;
  private final SessionManager sessions;
  private final BridgeMetrics.Flow metrics;
  private final long initialDelayMillis;
  private final long maxDelayMillis;
  private final long tokenCheckMillis;

  /**
   * The bridge publishes into this broker's namespace with every right but the broker's own '$'
   * topics: it is configured by the operator of this broker, not authenticated as a client, and the
   * remote side already authorized each message for its own publisher.
   */
  private final RemoteToLocal remoteToLocal;

  private State state = State.STOPPED;
  private int generation;
  private RemoteClient remote;
  private int attempts;
  private long reconnectTimer = -1;
  private long lastWarning;
  private long unwarned;
  private boolean connected;
  private volatile String lastError;
  private volatile long lastErrorAt;
  private final AtomicLong forwarded = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private long reauthenticated;
  private long tokenTimer = -1;
  private boolean checkingToken;

  private final LoopGuard loops;

  /** The node id of the member that runs this instance, as {@link DataflowInstances} decided. */
  private String node;

  /** The session side of a local-to-remote dataflow; null for remote-to-local. */
  private final LocalToRemote local;

  DataflowBridge(
      Vertx vertx,
      Context context,
      Dataflow flow,
      int instance,
      PublishPipeline pipeline,
      SessionManager sessions,
      BridgeMetrics metrics,
      LoopGuard loops,
      long initialDelayMillis,
      long maxDelayMillis,
      long tokenCheckMillis) {
    this.loops = loops;
    this.tokenCheckMillis = tokenCheckMillis;
    this.vertx = vertx;
    this.context = context;
    this.flow = flow;
    this.instance = instance;
    this.name = flow.instanceName(instance);
    this.remoteClientId = flow.remoteClientId(instance);
    this.localClientId = flow.localClientId(instance);
    this.endpoint = flow.remote();
    this.sessions = sessions;
    this.metrics = metrics.flow(flow);
    this.initialDelayMillis = initialDelayMillis;
    this.maxDelayMillis = maxDelayMillis;
    this.remoteToLocal =
        new RemoteToLocal(
            flow,
            pipeline,
            loops,
            PublishSource.bridge(
                localClientId, Permissions.ALL_BUT_RESERVED, PublishSource.Quota.UNLIMITED));
    this.local =
        flow.direction() == Direction.LOCAL_TO_REMOTE
            ? new LocalToRemote(
                context,
                flow,
                sessions,
                loops,
                name,
                localClientId,
                new LocalToRemote.Owner() {
                  @Override
                  public boolean stopped() {
                    return state == State.STOPPED;
                  }

                  @Override
                  public boolean current(int gen) {
                    return gen == generation;
                  }

                  @Override
                  public void lost(int gen, Throwable cause) {
                    DataflowBridge.this.lost(gen, cause);
                  }

                  @Override
                  public void forwarded(long latencyMillis) {
                    DataflowBridge.this.forwarded(latencyMillis);
                  }

                  @Override
                  public void dropped(String reason) {
                    DataflowBridge.this.dropped(reason);
                  }

                  @Override
                  public void warn(String text) {
                    DataflowBridge.this.warn(text);
                  }

                  @Override
                  public void dropUnresolved(String topic) {
                    DataflowBridge.this.dropUnresolved(topic);
                  }

                  @Override
                  public void stop() {
                    DataflowBridge.this.stop();
                  }
                })
            : null;
  }

  Dataflow flow() {
    return flow;
  }

  int instance() {
    return instance;
  }

  /** Records the node that runs this instance. On the bridges' context. */
  void runsOn(String node) {
    this.node = node;
  }

  /** The node that runs this instance, as last recorded; null before. On the bridges' context. */
  String node() {
    return node;
  }

  /** Whether this instance is stopped here (never started, stopped, or taken over elsewhere). */
  boolean isStopped() {
    return state == State.STOPPED;
  }

  /** The client id of this instance's session here (local-to-remote). */
  String localClientId() {
    return localClientId;
  }

  /** On the bridges' context. */
  BridgeStatus status() {
    return new BridgeStatus(
        flow.name(),
        instance,
        flow.direction().name().toLowerCase(Locale.ROOT).replace('_', '-'),
        flow.remote().name(),
        remoteClientId,
        flow.direction() == Direction.LOCAL_TO_REMOTE ? localClientId : null,
        state.name().toLowerCase(Locale.ROOT).replace('_', '-'),
        connected,
        lastError,
        lastErrorAt,
        forwarded.get(),
        dropped.get(),
        reauthenticated,
        -1,
        node);
  }

  private void connected(boolean up) {
    if (up != connected) {
      connected = up;
      metrics.connected(up);
    }
  }

  private void forwarded(long latencyMillis) {
    forwarded.incrementAndGet();
    metrics.forwarded(latencyMillis);
  }

  private void dropped(String reason) {
    dropped.incrementAndGet();
    metrics.dropped(reason);
  }

  private void error(String reason) {
    lastError = reason;
    lastErrorAt = System.currentTimeMillis();
  }

  /**
   * Starts connecting; an unreachable remote is retried in the background. On the bridges' context.
   */
  void start() {
    if (state != State.STOPPED) {
      return;
    }
    state(State.CONNECTING, null);
    if (flow.direction() == Direction.LOCAL_TO_REMOTE) {
      // the session exists (and queues) from now on, whether the remote is reachable or not
      local.open(null, generation);
    }
    if (endpoint.authentication().tokenFile() != null) {
      tokenTimer = vertx.setPeriodic(tokenCheckMillis, t -> checkToken());
    }
    connect();
  }

  /** Disconnects from the remote; a local-to-remote session goes offline and keeps queueing. */
  Future<Void> stop() {
    if (state == State.STOPPED) {
      return local == null ? Future.succeededFuture() : local.settled();
    }
    state(State.STOPPED, null);
    generation++;
    connected(false);
    if (reconnectTimer >= 0) {
      vertx.cancelTimer(reconnectTimer);
      reconnectTimer = -1;
    }
    if (tokenTimer >= 0) {
      vertx.cancelTimer(tokenTimer);
      tokenTimer = -1;
    }
    if (remote != null) {
      remote.disconnect();
      remote = null;
    }
    if (local != null) {
      local.detach();
    }
    return local == null ? Future.succeededFuture() : local.settled();
  }

  private void connect() {
    int gen = ++generation;
    RemoteClient client;
    try {
      client =
          RemoteClient.create(
              endpoint,
              remoteClientId,
              m -> context.runOnContext(v -> received(gen, m)),
              e -> context.runOnContext(v -> lost(gen, e)));
    } catch (IllegalStateException e) {
      lost(gen, e);
      return;
    }
    remote = client;
    client
        .connect()
        .whenComplete(
            (present, error) ->
                context.runOnContext(
                    v -> {
                      if (gen != generation) {
                        if (error == null) {
                          client.disconnect(); // stopped or given up while connecting: the late
                          // connection is not used
                        }
                        return;
                      }
                      if (error != null) {
                        lost(gen, error);
                      } else {
                        connected(gen, client);
                      }
                    }));
  }

  private void connected(int gen, RemoteClient client) {
    if (flow.direction() == Direction.REMOTE_TO_LOCAL) {
      client
          .subscribe(flow.subscriptionFilters(), endpoint.qos())
          .whenComplete(
              (refused, error) ->
                  context.runOnContext(
                      v -> {
                        if (gen != generation) {
                          return;
                        }
                        if (error != null) {
                          lost(gen, error);
                          return;
                        }
                        if (!refused.isEmpty()) {
                          error("remote refused the subscriptions " + refused);
                          LOG.warn(
                              "bridge dataflow {}: remote {} refused the subscriptions {}",
                              name,
                              endpoint.name(),
                              refused);
                        }
                        up();
                      }));
    } else {
      local.open(client, gen);
      up();
    }
  }

  private void up() {
    attempts = 0;
    connected(true);
    state(State.CONNECTED, null);
  }

  /** The connection failed or could not be made: back off, then try again with a new client. */
  private void lost(int gen, Throwable cause) {
    if (gen != generation || state == State.STOPPED) {
      return;
    }
    generation++;
    if (remote != null) {
      remote.disconnect();
      remote = null;
    }
    connected(false);
    if (local != null) {
      local.detach();
    }
    error(reason(cause));
    state(State.BACKING_OFF, lastError);
    long delay = backoff(attempts++);
    reconnectTimer =
        vertx.setTimer(
            delay,
            t -> {
              reconnectTimer = -1;
              if (state == State.BACKING_OFF) {
                connect();
              }
            });
  }

  /**
   * Whether the endpoint's token file holds a new token (the platform renewed it): then the
   * connection authenticates again with it, by MQTT 5 AUTH where it can (the connection, its
   * subscriptions and what is in flight stay), else by reconnecting with it. While not connected
   * there is nothing to do: the next connect reads the file. On the bridges' context.
   */
  private void checkToken() {
    RemoteClient client = remote;
    if (state != State.CONNECTED || client == null || checkingToken) {
      return;
    }
    int gen = generation;
    Path file = endpoint.authentication().tokenFile();
    checkingToken = true;
    vertx
        .fileSystem()
        .readFile(file.toString())
        .onComplete(
            read -> {
              checkingToken = false;
              if (gen != generation || state != State.CONNECTED || read.failed()) {
                return; // an unreadable file is reported by the next connect, which needs it
              }
              String token = read.result().toString(StandardCharsets.UTF_8).strip();
              if (token.isEmpty() || token.equals(client.token())) {
                return;
              }
              client
                  .reauthenticate(token)
                  .whenComplete(
                      (v, error) -> context.runOnContext(x -> reauthenticated(gen, file, error)));
            });
  }

  private void reauthenticated(int gen, Path file, Throwable error) {
    if (gen != generation || state != State.CONNECTED) {
      return;
    }
    if (error == null) {
      reauthenticated++;
      LOG.info(
          "bridge dataflow {}: token file {} changed; re-authenticated with it at {}:{} (MQTT 5"
              + " AUTH)",
          name,
          file,
          endpoint.host(),
          endpoint.port());
      return;
    }
    Throwable cause = error instanceof CompletionException ? error.getCause() : error;
    if (cause instanceof UnsupportedOperationException) {
      LOG.info(
          "bridge dataflow {}: token file {} changed; reconnecting with it ({})",
          name,
          file,
          cause.getMessage());
    } else {
      LOG.warn(
          "bridge dataflow {}: re-authentication with the new token of {} failed ({});"
              + " reconnecting with it",
          name,
          file,
          reason(error));
    }
    reconnect(gen);
  }

  /** A reconnect the bridge wants (not a failure): at once, without backoff or error. */
  private void reconnect(int gen) {
    if (gen != generation || state == State.STOPPED) {
      return;
    }
    generation++;
    if (remote != null) {
      remote.disconnect();
      remote = null;
    }
    connected(false);
    if (local != null) {
      local.detach();
    }
    state(State.CONNECTING, null);
    connect();
  }

  /**
   * Exponential backoff with full jitter between the initial delay and the doubled, capped one;
   * never below the initial delay (at least 1 s: Event Grid allows one connect per second per
   * session).
   */
  private long backoff(int attempt) {
    long ceiling = Math.min(maxDelayMillis, initialDelayMillis << Math.min(attempt, 20));
    return initialDelayMillis
        + ThreadLocalRandom.current().nextLong(Math.max(1, ceiling - initialDelayMillis + 1));
  }

  private void state(State next, String reason) {
    if (next == state) {
      return;
    }
    State before = state;
    state = next;
    String what =
        switch (next) {
          case CONNECTING ->
              "connecting to "
                  + endpoint.host()
                  + ":"
                  + endpoint.port()
                  + " as '"
                  + remoteClientId
                  + "'";
          case CONNECTED -> "connected to " + endpoint.host() + ":" + endpoint.port();
          case BACKING_OFF ->
              "remote "
                  + endpoint.host()
                  + ":"
                  + endpoint.port()
                  + " unavailable ("
                  + reason
                  + "), retrying with backoff";
          case STOPPED -> "stopped";
        };
    if (next == State.BACKING_OFF) {
      LOG.warn("bridge dataflow {} ({}): {}", name, before.name().toLowerCase(Locale.ROOT), what);
    } else {
      LOG.info("bridge dataflow {}: {}", name, what);
    }
  }

  private static String reason(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c.getMessage() == null) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException d) {
      // the remote's reason code says more than the client's "Server sent DISCONNECT."
      return "DISCONNECT "
          + d.getMqttMessage().getReasonCode()
          + d.getMqttMessage().getReasonString().map(r -> ": " + r).orElse("");
    }
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }

  // ---- remote to local ----

  private void received(int gen, RemoteClient.Incoming m) {
    if (gen != generation) {
      return; // not acknowledged: the remote sends it again when the session resumes
    }
    remoteToLocal.forward(
        m,
        new RemoteToLocal.Outcome() {
          @Override
          public void forwarded(long latencyMillis) {
            DataflowBridge.this.forwarded(latencyMillis);
          }

          @Override
          public void dropped(String reason, String warning) {
            DataflowBridge.this.dropped(reason);
            warn(warning);
          }

          @Override
          public void failed(String target, Throwable cause) {
            // no PUBACK, and a new connection, so that the remote sends it again
            context.runOnContext(
                v -> {
                  if (gen == generation) {
                    LOG.warn(
                        "bridge dataflow {}: message to '{}' not stored here ({}); reconnecting so that the remote "
                            + "sends it again",
                        name,
                        target,
                        reason(cause));
                    lost(gen, cause);
                  }
                });
          }
        });
  }

  private void dropUnresolved(String topic) {
    dropped(BridgeMetrics.DROP_UNRESOLVED_TARGET);
    warn(
        "message on '"
            + topic
            + "' dropped: target '"
            + flow.target()
            + "' names a level that topic does not "
            + "have");
  }

  /**
   * A warning about a message, at most once a minute per dataflow (each one is counted in the
   * metrics).
   */
  private void warn(String text) {
    long now = System.currentTimeMillis();
    if (now - lastWarning < WARNING_INTERVAL_MILLIS) {
      unwarned++;
      return;
    }
    LOG.warn(
        "bridge dataflow {}: {}{}",
        name,
        text,
        unwarned == 0 ? "" : " (and " + unwarned + " more since the last warning)");
    lastWarning = now;
    unwarned = 0;
  }
}
