package io.mqttgrid.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.jackson.JsonCloudEventData;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client life-cycle events (Event Grid's client life-cycle events): a session connected or
 * disconnected, a client of the registry created, updated or deleted, as CloudEvents in the shape
 * of Event Grid's system topic {@code Microsoft.EventGrid.Namespaces}. They go where routed
 * messages go ({@link Sink}), when the namespace turns them on.
 *
 * <p>A connection's {@code sequenceNumber} comes from a cluster-wide counter per client id ({@link
 * SessionSequence}), taken once the connection is accepted; its Disconnected event waits for that
 * number, so both carry the same one. Thread-safe; nothing here blocks.
 */
public final class ClientLifecycleEvents {

  private static final Logger LOG = LoggerFactory.getLogger(ClientLifecycleEvents.class);

  public static final String SESSION_CONNECTED = "Microsoft.EventGrid.MQTTClientSessionConnected";
  public static final String SESSION_DISCONNECTED =
      "Microsoft.EventGrid.MQTTClientSessionDisconnected";
  public static final String CLIENT_CREATED_OR_UPDATED =
      "Microsoft.EventGrid.MQTTClientCreatedOrUpdated";
  public static final String CLIENT_DELETED = "Microsoft.EventGrid.MQTTClientDeleted";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Where events go, and whether the namespace wants life-cycle events now. */
  public interface Sink {
    boolean clientLifecycleEventsOn();

    void offer(CloudEvent event);
  }

  /** One accepted connection of a session, as far as its events are concerned. */
  public static final class Connection {
    private final String authenticationName;
    private final String clientId;
    private final CompletionStage<Long> sequenceNumber;

    /**
     * The number, once the Connected event is offered: the Disconnected event waits for this, not
     * for the number itself (a CompletableFuture runs the actions waiting on it last-registered
     * first, which sent Disconnected before Connected when a client left at once).
     */
    private volatile CompletionStage<Long> announced;

    Connection(String authenticationName, String clientId, CompletionStage<Long> sequenceNumber) {
      this.authenticationName = authenticationName;
      this.clientId = clientId;
      this.sequenceNumber = sequenceNumber;
      this.announced = sequenceNumber;
    }
  }

  private final String namespaceName;
  private final String nodeId;
  private final URI source;
  private final SessionSequence sequence;
  private final Sink sink;

  /**
   * @param nodeId this node, where the connections it reports are
   */
  public ClientLifecycleEvents(
      String namespaceName, String nodeId, SessionSequence sequence, Sink sink) {
    this.namespaceName = namespaceName;
    this.nodeId = nodeId;
    this.source = source(namespaceName);
    this.sequence = sequence;
    this.sink = sink;
  }

  /**
   * The namespace's resource path as this broker's management API spells it ({@code
   * /namespaces/<name>}): Event Grid's events carry the namespace's ARM id, which MQTT Grid does
   * not have.
   */
  static URI source(String namespaceName) {
    try {
      return new URI(null, null, "/namespaces/" + namespaceName, null);
    } catch (URISyntaxException e) {
      return URI.create("/namespaces/" + MessageEvents.source(namespaceName).toString());
    }
  }

  /**
   * A connection of {@code clientId} was accepted (its CONNACK sent): takes the session's next
   * sequence number and emits Connected with it. Null when life-cycle events are off: such a
   * connection gets no Disconnected event either.
   */
  public Connection connected(String authenticationName, String clientId) {
    if (!sink.clientLifecycleEventsOn()) {
      return null;
    }
    OffsetDateTime at = now();
    Connection c =
        new Connection(
            authenticationName, clientId, sequence.next(clientId, nodeId, authenticationName));
    // on the thread that completes the number (a Hazelcast one): offering to the sink does not
    // block
    c.announced =
        c.sequenceNumber.whenCompleteAsync(
            (n, error) -> {
              if (error != null) {
                LOG.warn(
                    "no sequence number for session {}: its life-cycle events are not sent ({})",
                    clientId,
                    error.toString());
              } else if (sink.clientLifecycleEventsOn()) {
                sink.offer(sessionEvent(SESSION_CONNECTED, c, n, null, at));
              }
            },
            Runnable::run);
    return c;
  }

  /** The connection {@code c} (null: one without events) ended for {@code reason}. */
  public void disconnected(Connection c, DisconnectionReason reason) {
    if (c == null) {
      return;
    }
    OffsetDateTime at = now();
    c.announced.whenCompleteAsync(
        (n, error) -> {
          if (error != null) {
            return;
          }
          sequence.ended(c.clientId, n);
          if (sink.clientLifecycleEventsOn()) {
            sink.offer(sessionEvent(SESSION_DISCONNECTED, c, n, reason, at));
          }
        },
        Runnable::run);
  }

  /**
   * A connection that was open on a node that left the cluster without closing it (it died): a
   * Disconnected event, {@code ConnectionLost}, sent by the oldest survivor.
   */
  public void lost(String authenticationName, String clientId, long sequenceNumber) {
    if (sink.clientLifecycleEventsOn()) {
      sink.offer(
          sessionEvent(
              SESSION_DISCONNECTED,
              new Connection(authenticationName, clientId, null),
              sequenceNumber,
              DisconnectionReason.CONNECTION_LOST,
              now()));
    }
  }

  /**
   * A client of the registry exists with {@code properties} (as stored: {@code authenticationName},
   * {@code state}, {@code attributes}) after a create or an update.
   */
  public CloudEvent clientCreatedOrUpdated(
      String clientName, JsonNode properties, String createdOn, String updatedOn) {
    ObjectNode data = MAPPER.createObjectNode();
    data.put("createdOn", createdOn);
    data.put("updatedOn", updatedOn);
    data.put("namespaceName", namespaceName);
    data.put("clientName", clientName);
    data.put("clientAuthenticationName", authenticationName(clientName, properties));
    data.put("state", properties.path("state").asText("Enabled"));
    JsonNode attributes = properties.get("attributes");
    data.set("attributes", attributes == null ? MAPPER.createObjectNode() : attributes.deepCopy());
    return clientEvent(CLIENT_CREATED_OR_UPDATED, clientName, data);
  }

  /** A client of the registry was deleted; {@code properties} are its last ones. */
  public CloudEvent clientDeleted(String clientName, JsonNode properties) {
    ObjectNode data = MAPPER.createObjectNode();
    data.put("namespaceName", namespaceName);
    data.put("clientName", clientName);
    data.put("clientAuthenticationName", authenticationName(clientName, properties));
    return clientEvent(CLIENT_DELETED, clientName, data);
  }

  /** Whether registry events are wanted now. */
  public boolean on() {
    return sink.clientLifecycleEventsOn();
  }

  /** Hands a registry event to the sink (when life-cycle events are on). */
  public void emit(CloudEvent event) {
    if (sink.clientLifecycleEventsOn()) {
      sink.offer(event);
    }
  }

  private static String authenticationName(String clientName, JsonNode properties) {
    JsonNode a = properties == null ? null : properties.get("authenticationName");
    return a == null || !a.isTextual() ? clientName : a.asText();
  }

  private CloudEvent sessionEvent(
      String type,
      Connection c,
      long sequenceNumber,
      DisconnectionReason reason,
      OffsetDateTime at) {
    ObjectNode data = MAPPER.createObjectNode();
    data.put("namespaceName", namespaceName);
    data.put("clientAuthenticationName", c.authenticationName);
    data.put("clientSessionName", c.clientId);
    data.put("sequenceNumber", sequenceNumber);
    if (reason != null) {
      data.put("disconnectionReason", reason.wireName());
    }
    return CloudEventBuilder.v1()
        .withId(UUID.randomUUID().toString())
        .withTime(at)
        .withType(type)
        .withSource(source)
        .withSubject("clients/" + c.authenticationName + "/sessions/" + c.clientId)
        .withData(JsonCloudEventData.wrap(data))
        .build();
  }

  private CloudEvent clientEvent(String type, String clientName, ObjectNode data) {
    return CloudEventBuilder.v1()
        .withId(UUID.randomUUID().toString())
        .withTime(now())
        .withType(type)
        .withSource(source)
        .withSubject("clients/" + clientName)
        .withData(JsonCloudEventData.wrap(data))
        .build();
  }

  /** Milliseconds, as routed messages' times. */
  private static OffsetDateTime now() {
    return OffsetDateTime.ofInstant(
        Instant.ofEpochMilli(System.currentTimeMillis()), ZoneOffset.UTC);
  }
}
