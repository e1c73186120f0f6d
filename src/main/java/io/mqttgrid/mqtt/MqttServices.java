package io.mqttgrid.mqtt;

import io.mqttgrid.access.AccessControl;
import io.mqttgrid.access.NamespaceModel;
import io.mqttgrid.auth.Authenticator;
import io.mqttgrid.events.ClientLifecycleEvents;
import io.mqttgrid.publish.PublishPipeline;
import io.mqttgrid.retain.RetainedStore;
import io.mqttgrid.session.SessionManager;
import io.mqttgrid.session.SessionOwnership;
import io.mqttgrid.wire.MqttLimits;
import java.util.function.Supplier;

/**
 * What the MQTT listeners need from the rest of the node, built once at start and shared by every
 * instance.
 *
 * @param publishes how a message is judged and routed, from MQTT or any other source
 * @param namespace the namespace model as this node knows it now (settings, client registry)
 * @param access what an authenticated identity may publish and subscribe
 * @param ownership which authentication name owns each session name (Event Grid's CONNECT rules)
 * @param lifecycle the session connected/disconnected events (Event Grid's client life-cycle
 *     events)
 */
public record MqttServices(
    MqttLimits limits,
    Authenticator authenticator,
    SessionManager sessions,
    PublishPipeline publishes,
    RetainedStore retained,
    MqttMetrics metrics,
    Supplier<NamespaceModel> namespace,
    AccessControl access,
    SessionOwnership ownership,
    ConnectionRegistry connections,
    ClientLifecycleEvents lifecycle) {}
