package io.mqttgrid.bridge;

import static io.mqttgrid.bridge.BridgeFile.LOCAL_ENDPOINT;

import io.mqttgrid.bridge.BridgeFile.BridgeConfigException;
import io.mqttgrid.bridge.BridgeFile.Dataflow;
import io.mqttgrid.bridge.BridgeFile.Direction;
import io.mqttgrid.bridge.BridgeFile.Endpoint;
import io.mqttgrid.routing.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads one entry of {@code dataflows}: its source and destination operations, which give the
 * direction and the remote endpoint, the topic filters and the target.
 */
final class DataflowParser {

  /** Instances of one dataflow at most: each is a connection to the remote. */
  static final int MAX_INSTANCES = 64;

  private DataflowParser() {}

  /**
   * The dataflow {@code f} describes, its remote one of {@code endpoints} (by name); a mistake
   * throws, naming the field.
   */
  static Dataflow parse(DocumentFields f, Map<String, Endpoint> endpoints) {
    f.only("name", "operations", "instanceCount");
    String name = f.name("name");
    int instanceCount = (int) f.number("instanceCount", 1, 1, MAX_INSTANCES);
    List<Object> ops = f.list("operations");
    DocumentFields source = null;
    DocumentFields destination = null;
    for (int i = 0; i < ops.size(); i++) {
      DocumentFields op = DocumentFields.of(ops.get(i), f.path("operations") + "[" + i + "]");
      op.only("operationType", "sourceSettings", "destinationSettings");
      String type = op.string("operationType", null);
      if ("Source".equals(type) && source == null) {
        op.only("operationType", "sourceSettings");
        source = op.fields("sourceSettings", true);
      } else if ("Destination".equals(type) && destination == null) {
        op.only("operationType", "destinationSettings");
        destination = op.fields("destinationSettings", true);
      } else {
        throw new BridgeConfigException(
            op.path("operationType")
                + ": must be Source or Destination, once each; "
                + "got '"
                + type
                + "' (transformations are not supported)");
      }
    }
    if (source == null || destination == null) {
      throw new BridgeConfigException(
          f.path("operations") + ": needs one Source and one Destination operation");
    }
    source.only("endpointRef", "dataSources");
    destination.only("endpointRef", "dataDestination");
    String from = source.string("endpointRef", LOCAL_ENDPOINT);
    String to = destination.string("endpointRef", null);
    if (to == null) {
      throw new BridgeConfigException(destination.path("endpointRef") + ": required");
    }
    Direction direction;
    String remoteName;
    DocumentFields remoteRef;
    if (from.equals(LOCAL_ENDPOINT) && !to.equals(LOCAL_ENDPOINT)) {
      direction = Direction.LOCAL_TO_REMOTE;
      remoteName = to;
      remoteRef = destination;
    } else if (!from.equals(LOCAL_ENDPOINT) && to.equals(LOCAL_ENDPOINT)) {
      direction = Direction.REMOTE_TO_LOCAL;
      remoteName = from;
      remoteRef = source;
    } else {
      throw new BridgeConfigException(
          f.path("operations")
              + ": one side must be the endpoint '"
              + LOCAL_ENDPOINT
              + "' (this broker) and the other a remote endpoint; got source '"
              + from
              + "', destination '"
              + to
              + "'");
    }
    Endpoint remote = endpoints.get(remoteName);
    if (remote == null) {
      throw new BridgeConfigException(
          remoteRef.path("endpointRef") + ": no dataflow endpoint named '" + remoteName + "'");
    }
    List<Object> rawSources = source.list("dataSources");
    if (rawSources.isEmpty()) {
      throw new BridgeConfigException(source.path("dataSources") + ": at least one topic filter");
    }
    List<String> sources = new ArrayList<>();
    for (int i = 0; i < rawSources.size(); i++) {
      String filter = rawSources.get(i) == null ? "" : String.valueOf(rawSources.get(i));
      String at = source.path("dataSources") + "[" + i + "]";
      if (filter.startsWith(BridgeFile.AIO_SHARED_PREFIX)) {
        // IoT Operations dataflows spell it $shared; MQTT 5 (and Event Grid, and this broker)
        // $share
        filter = Topics.SHARE_PREFIX + filter.substring(BridgeFile.AIO_SHARED_PREFIX.length());
      }
      if (Topics.checkFilter(filter, 65_535, 65_535) != Topics.Check.OK) {
        throw new BridgeConfigException(at + ": '" + filter + "' is not a topic filter");
      }
      sources.add(filter);
    }
    String targetText = destination.string("dataDestination", "${inputTopic}");
    TargetTemplate target;
    try {
      target = TargetTemplate.parse(targetText);
    } catch (IllegalArgumentException e) {
      throw new BridgeConfigException(destination.path("dataDestination") + ": " + e.getMessage());
    }
    if (direction == Direction.REMOTE_TO_LOCAL
        && targetText.startsWith("$")
        && !targetText.startsWith("${")) {
      throw new BridgeConfigException(
          destination.path("dataDestination")
              + ": '"
              + targetText
              + "' is a '$' topic, "
              + "this broker's own: no publisher, the bridge included, may use it");
    }
    return new Dataflow(name, direction, remote, List.copyOf(sources), target, instanceCount);
  }
}
