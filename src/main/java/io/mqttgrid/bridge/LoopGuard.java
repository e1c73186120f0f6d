package io.mqttgrid.bridge;

import io.mqttgrid.bridge.BridgeFile.Dataflow;
import io.mqttgrid.bridge.BridgeFile.Direction;
import io.mqttgrid.bridge.BridgeFile.Endpoint;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.mqttgrid.routing.Topics;
import java.util.List;

/**
 * Keeps a pair of dataflows that map topics both ways (local {@code a/#} up to the remote's {@code
 * a/#}, and the remote's {@code a/#} down to local {@code a/#}) from sending a message round and
 * round. The bridge's dataflows are separate clients at the remote, so MQTT 5 No Local, which only
 * spares a client its own publishes, cannot do it. A round trip that does not close a circle (the
 * tutorial's local {@code tutorial/local} up to {@code telemetry/aio}, and {@code telemetry/#} down
 * to local {@code tutorial/cloud}) is left alone. Two checks:
 *
 * <ul>
 *   <li>a marker: every message a dataflow publishes at an MQTT 5 remote carries the user property
 *       {@value #MARKER} with the dataflow's remote client id; a remote-to-local dataflow drops a
 *       message that one of this broker's own local-to-remote dataflows sent to that endpoint when
 *       its local target is a topic such a dataflow takes up again: the message does not even come
 *       back once;
 *   <li>for MQTT 3.1.1 remotes, which carry no user properties: a message that a remote-to-local
 *       dataflow published here is not sent back to that endpoint on a topic one of its
 *       remote-to-local dataflows subscribes to, so it comes back at most once.
 * </ul>
 */
final class LoopGuard {

  /** The user property that names the bridge client that published a message at the remote. */
  static final String MARKER = "mqttgrid-bridge";

  private volatile BridgeFile file;

  LoopGuard(BridgeFile file) {
    this.file = file;
  }

  /** The bridge file changed: the dataflows to know are its. */
  void file(BridgeFile next) {
    this.file = next;
  }

  /**
   * Whether a message from {@code from}, to be published here on {@code localTarget}, was published
   * there by one of this broker's own local-to-remote dataflows to that endpoint, and such a
   * dataflow would take it up again.
   */
  boolean wouldGoRound(Endpoint from, List<UserProperty> userProperties, String localTarget) {
    boolean ours = false;
    for (UserProperty p : userProperties) {
      if (MARKER.equals(p.name()) && isOurClientAt(from, p.value())) {
        ours = true;
        break;
      }
    }
    return ours && subscribed(Direction.LOCAL_TO_REMOTE, from, localTarget);
  }

  /** Whether a dataflow of {@code direction} with endpoint {@code endpoint} takes {@code topic}. */
  private boolean subscribed(Direction direction, Endpoint endpoint, String topic) {
    for (Dataflow d : file.dataflows()) {
      if (d.direction() != direction || !d.remote().name().equals(endpoint.name())) {
        continue;
      }
      for (String source : d.sources()) {
        if (Topics.matches(withoutShareGroup(source), topic)) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean isOurClientAt(Endpoint endpoint, String clientId) {
    for (Dataflow d : file.dataflows()) {
      if (d.direction() == Direction.LOCAL_TO_REMOTE && d.remote().name().equals(endpoint.name())) {
        for (int i = 1; i <= d.instanceCount(); i++) {
          if (d.remoteClientId(i).equals(clientId)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * Whether a message that {@code publisherClientId} published here would come back if sent to
   * {@code to} on {@code remoteTopic}: the publisher is a remote-to-local dataflow (of any
   * endpoint), and a remote-to-local dataflow of {@code to} subscribes to that topic.
   */
  boolean wouldReturn(String publisherClientId, Endpoint to, String remoteTopic) {
    if (publisherClientId == null
        || !publisherClientId.startsWith(BridgeFile.LOCAL_SESSION_PREFIX)) {
      return false;
    }
    return isRemoteToLocal(file, publisherClientId)
        && subscribed(Direction.REMOTE_TO_LOCAL, to, remoteTopic);
  }

  private static boolean isRemoteToLocal(BridgeFile f, String localClientId) {
    for (Dataflow d : f.dataflows()) {
      if (d.direction() == Direction.REMOTE_TO_LOCAL) {
        for (int i = 1; i <= d.instanceCount(); i++) {
          if (d.localClientId(i).equals(localClientId)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static String withoutShareGroup(String filter) {
    for (String prefix : List.of(Topics.SHARE_PREFIX, BridgeFile.AIO_SHARED_PREFIX)) {
      if (filter.startsWith(prefix)) {
        int slash = filter.indexOf('/', prefix.length());
        return slash < 0 ? filter : filter.substring(slash + 1);
      }
    }
    return filter;
  }
}
