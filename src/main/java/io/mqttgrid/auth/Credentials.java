package io.mqttgrid.auth;

/**
 * What a CONNECT presents to prove who the client is.
 *
 * @param remoteHost      the peer address as text (IP literal)
 * @param remoteLoopback  whether the peer connected over loopback
 * @param authMethod      MQTT 5 Authentication Method, or null
 */
public record Credentials(String clientId, String username, byte[] password, String authMethod, byte[] authData,
                          String remoteHost, boolean remoteLoopback) {
}
