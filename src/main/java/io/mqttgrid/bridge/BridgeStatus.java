package io.mqttgrid.bridge;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * What one instance of a bridge dataflow is doing, as the management API shows it.
 *
 * @param state {@code stopped}, {@code connecting}, {@code connected} or {@code backing-off}
 * @param localClientId the bridge's session here (local-to-remote), else null
 * @param lastError the last reason the remote connection failed or was refused, null if none
 * @param lastErrorAt when, in milliseconds since the epoch; 0 if never
 * @param forwarded messages delivered to the target and acknowledged there
 * @param dropped messages dropped (unresolvable target, refused by the target)
 * @param reauthenticated MQTT 5 re-authentications with a renewed token that the remote accepted
 * @param queued messages the local session holds (local-to-remote), -1 when not known
 * @param node the node id of the member that runs the instance, as this node sees the members (null
 *     while this node sees none)
 */
public record BridgeStatus(
    String dataflow,
    int instance,
    String direction,
    String endpoint,
    String remoteClientId,
    String localClientId,
    String state,
    boolean connected,
    String lastError,
    long lastErrorAt,
    long forwarded,
    long dropped,
    long reauthenticated,
    long queued,
    String node) {

  BridgeStatus withQueued(long n) {
    return new BridgeStatus(
        dataflow,
        instance,
        direction,
        endpoint,
        remoteClientId,
        localClientId,
        state,
        connected,
        lastError,
        lastErrorAt,
        forwarded,
        dropped,
        reauthenticated,
        n,
        node);
  }

  /** One instance in the management API's answer. */
  JsonObject toJson() {
    JsonObject o =
        new JsonObject()
            .put("instance", instance)
            .put("node", node)
            .put("remoteClientId", remoteClientId)
            .put("state", state)
            .put("connected", connected)
            .put("lastError", lastError)
            .put(
                "lastErrorAt",
                lastErrorAt == 0 ? null : Instant.ofEpochMilli(lastErrorAt).toString())
            .put("forwarded", forwarded)
            .put("dropped", dropped)
            .put("reauthenticated", reauthenticated);
    if (localClientId != null) {
      o.put("localClientId", localClientId).put("queued", queued);
    }
    return o;
  }
}
