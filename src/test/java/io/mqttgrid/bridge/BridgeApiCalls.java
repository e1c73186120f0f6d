package io.mqttgrid.bridge;

import io.mqttgrid.testing.TestBroker;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The bridge's management API of one node (a cluster node in another JVM), as an operator calls it:
 * the short paths of instance {@code default}, with the admin token.
 */
final class BridgeApiCalls {

  static final String ENDPOINTS = "/instances/default/dataflowEndpoints/";
  static final String DATAFLOWS = "/instances/default/dataflowProfiles/default/dataflows/";

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final String host;
  private final int managementPort;
  private final String token;

  BridgeApiCalls(String host, int managementPort, String token) {
    this.host = host;
    this.managementPort = managementPort;
    this.token = token;
  }

  /** An MQTT endpoint to the broker at 127.0.0.1:{@code port}. */
  static String endpoint(int port, String clientIdPrefix) {
    return """
        {"properties": {"endpointType": "Mqtt",
          "mqttSettings": {"host": "127.0.0.1:%d", "clientIdPrefix": "%s"}}}
        """
        .formatted(port, clientIdPrefix);
  }

  /** A dataflow from local {@code source} to {@code endpoint}'s {@code destination}. */
  static String dataflow(String source, String endpoint, String destination) {
    return """
        {"properties": {"operations": [
          {"operationType": "Source", "sourceSettings": {"endpointRef": "default", "dataSources": ["%s"]}},
          {"operationType": "Destination",
           "destinationSettings": {"endpointRef": "%s", "dataDestination": "%s"}}]}}
        """
        .formatted(source, endpoint, destination);
  }

  HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://" + host + ":" + managementPort + path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** GET /bridges of this node. */
  JsonObject bridges() throws Exception {
    HttpResponse<String> got = send("GET", "/bridges", null);
    if (got.statusCode() != 200) {
      throw new AssertionError("GET /bridges: " + got.statusCode() + " " + got.body());
    }
    return new JsonObject(got.body());
  }

  /** Instance {@code instance} of dataflow {@code flow} in a /bridges answer; null if absent. */
  static JsonObject instance(JsonObject bridges, String flow, int instance) {
    for (Object d : bridges.getJsonArray("dataflows")) {
      JsonObject dataflow = (JsonObject) d;
      if (dataflow.getString("name").equals(flow)) {
        for (Object i : dataflow.getJsonArray("instances")) {
          if (((JsonObject) i).getInteger("instance") == instance) {
            return (JsonObject) i;
          }
        }
      }
    }
    return null;
  }

  /**
   * The node id that runs instance {@code instance} of {@code flow}, as this node's /bridges says;
   * null when the node does not answer.
   */
  String nodeOf(String flow, int instance) throws Exception {
    JsonObject b;
    try {
      b = bridges();
    } catch (java.io.IOException e) {
      return null; // the node is gone (killed) or not yet listening
    }
    JsonObject i = instance(b, flow, instance);
    return i == null ? null : i.getString("node");
  }

  /**
   * Whether this node runs instance {@code instance} of {@code flow} and its remote connection is
   * up, by its /bridges; false when the node does not answer.
   */
  boolean runsConnected(String flow, int instance) throws Exception {
    JsonObject b;
    try {
      b = bridges();
    } catch (java.io.IOException e) {
      return false; // the node is gone (killed) or not yet listening
    }
    JsonObject i = instance(b, flow, instance);
    return i != null
        && b.getString("node").equals(i.getString("node"))
        && "connected".equals(i.getString("state"));
  }

  /** Whether dataflow {@code flow} runs on this node with its remote connection up (/metrics). */
  boolean connected(String flow) throws Exception {
    String metrics =
        HTTP.send(
                HttpRequest.newBuilder(
                        URI.create("http://" + host + ":" + managementPort + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return TestBroker.metricValue(metrics, "mqttgrid_bridge_connected", "dataflow=\"" + flow + "\"")
        >= 1;
  }
}
