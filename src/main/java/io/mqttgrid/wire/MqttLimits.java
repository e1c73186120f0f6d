package io.mqttgrid.wire;

/**
 * The protocol limits this broker enforces and advertises, named as MQTT 5 and the Event Grid
 * contract (Event Grid's documented limits) name them. Defaults live in {@code
 * config/mqttgrid.yaml}.
 *
 * @param maxSessionExpiry cap on Session Expiry Interval, and the expiry of MQTT 3.1.1 persistent
 *     sessions
 * @param publishRate publishes per second per session, 0 = unlimited (likewise the other rates)
 * @param serverReference sent with DISCONNECT 0x8B on a graceful stop when not empty
 */
public record MqttLimits(
    int maxPacketSize,
    int maxTopicLength,
    int maxTopicLevels,
    int maxClientIdLength,
    int topicAliasMaximum,
    int maxKeepAlive,
    int receiveMaximum,
    int maxInflightOutbound,
    int maxQos,
    boolean retainAvailable,
    int maxRetainedPayload,
    int maxSubscriptionsPerSession,
    int maxFiltersPerSubscribe,
    long maxSessionExpiry,
    int publishRate,
    long publishBytesRate,
    int subscribeRate,
    String serverReference) {}
