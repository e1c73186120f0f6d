package io.mqttgrid.mqtt;

import io.mqttgrid.auth.Authenticator;
import io.mqttgrid.retain.RetainedStore;
import io.mqttgrid.routing.PublishService;
import io.mqttgrid.session.SessionManager;

/** What the MQTT listeners need from the rest of the node, built once at start and shared by every instance. */
public record MqttServices(MqttLimits limits, Authenticator authenticator, SessionManager sessions,
                           PublishService publisher, RetainedStore retained, MqttMetrics metrics) {
}
